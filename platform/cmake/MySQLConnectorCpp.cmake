# MySQL Connector/C++ 1.1 (Debian libmysqlcppconn-dev) ships neither a CMake config nor a
# pkg-config file, so wrap it in an IMPORTED target here.
find_path(MYSQLCPPCONN_INCLUDE_DIR NAMES mysql_driver.h cppconn/driver.h)
find_library(MYSQLCPPCONN_LIBRARY NAMES mysqlcppconn)
if(NOT MYSQLCPPCONN_INCLUDE_DIR OR NOT MYSQLCPPCONN_LIBRARY)
  message(FATAL_ERROR "MySQL Connector/C++ not found: run 'apt-get install libmysqlcppconn-dev' (scripts/setup does this).")
endif()
add_library(MySQL::ConnectorCpp UNKNOWN IMPORTED)
set_target_properties(MySQL::ConnectorCpp PROPERTIES
  IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_INCLUDE_DIR}")
