find_path(ARGON2_INCLUDE_DIR NAMES argon2.h)
find_library(ARGON2_LIBRARY NAMES argon2)
if(NOT ARGON2_INCLUDE_DIR OR NOT ARGON2_LIBRARY)
  message(FATAL_ERROR "libargon2 not found: run 'apt-get install libargon2-dev' (scripts/setup does this).")
endif()
add_library(Argon2::argon2 UNKNOWN IMPORTED)
set_target_properties(Argon2::argon2 PROPERTIES
  IMPORTED_LOCATION "${ARGON2_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${ARGON2_INCLUDE_DIR}")
