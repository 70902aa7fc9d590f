# atrium_add_plugin(): builds an Atrium plugin the one supported way.
#
#   atrium_add_plugin(<target>
#       MANIFEST <atrium-plugin.json>          # required; its "id" names the library
#       SOURCES <file>...                      # required
#       [ASSETS <dir>]                         # UI files, copied/installed as <id>/web
#       [LIBRARIES <target-or-lib>...]         # linked PRIVATE
#       [OUTPUT_DIRECTORY <dir>]               # default: ${ATRIUM_PLUGIN_OUTPUT_DIRECTORY}
#                                              #          or ${CMAKE_BINARY_DIR}/plugins
#       [INSTALL_DESTINATION <dir>]            # default: ${CMAKE_INSTALL_LIBDIR}/atrium/plugins
#       [NO_INSTALL]
#       [ABI_UNCHECKED])                       # only for the host's own refusal tests
#
# The result is <output dir>/<id>/lib<id>.so with atrium-plugin.json beside it (and web/), which
# is the folder layout ATRIUM_PLUGIN_PATH expects; `cmake --install` puts the same folder under
# <prefix>/<install destination>/<id>/. The library is a MODULE with hidden visibility, C++20,
# the manifest embedded, and a linker version script exporting only atrium_plugin_query.
#
# Works the same inside the Atrium source tree (include(sdk/cmake/AtriumSdkPlugin.cmake)) and
# from an installed SDK (find_package(AtriumSdk 1 REQUIRED)).

include_guard(GLOBAL)
include(GNUInstallDirs)

set_property(GLOBAL PROPERTY ATRIUM_SDK_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# The SDK's ABI, read from plugin.h so the header stays the single source of truth. In the
# source tree the header is at ../include; installed, it is at <prefix>/include.
function(_atrium_sdk_find_header out)
  foreach(candidate "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../include/atrium/plugin.h"
                    "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../../../include/atrium/plugin.h")
    if(EXISTS "${candidate}")
      get_filename_component(candidate "${candidate}" ABSOLUTE)
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "AtriumSdkPlugin.cmake cannot find atrium/plugin.h next to ${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
endfunction()

_atrium_sdk_find_header(_atrium_plugin_h)
file(STRINGS "${_atrium_plugin_h}" _atrium_abi_lines REGEX "^#define ATRIUM_ABI_(MAJOR|MINOR) [0-9]+")
string(REGEX REPLACE ".*ATRIUM_ABI_MAJOR ([0-9]+).*" "\\1" _atrium_abi_major "${_atrium_abi_lines}")
string(REGEX REPLACE ".*ATRIUM_ABI_MINOR ([0-9]+).*" "\\1" _atrium_abi_minor "${_atrium_abi_lines}")
set_property(GLOBAL PROPERTY ATRIUM_SDK_ABI "${_atrium_abi_major}.${_atrium_abi_minor}")

# Without a target from the SDK's CMakeLists or its installed export (e.g. a folder configured
# on its own against a source checkout), describe the headers here.
if(NOT TARGET Atrium::sdk)
  find_package(nlohmann_json 3.10 REQUIRED)
  get_filename_component(_atrium_include_dir "${_atrium_plugin_h}" DIRECTORY)
  get_filename_component(_atrium_include_dir "${_atrium_include_dir}" DIRECTORY)
  add_library(Atrium::sdk INTERFACE IMPORTED GLOBAL)
  set_target_properties(Atrium::sdk PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_atrium_include_dir}"
                                               INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json)
endif()

function(atrium_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_INSTALL;ABI_UNCHECKED" "MANIFEST;ASSETS;OUTPUT_DIRECTORY;INSTALL_DESTINATION"
                        "SOURCES;LIBRARIES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "atrium_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MANIFEST OR NOT ARG_SOURCES)
    message(FATAL_ERROR "atrium_add_plugin(${name}) needs MANIFEST <atrium-plugin.json> and SOURCES <files>")
  endif()
  get_filename_component(manifest "${ARG_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "atrium_add_plugin(${name}): manifest ${manifest} does not exist")
  endif()

  # Configure-time checks give the plugin author the error before the host ever sees the plugin.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}")
  file(READ "${manifest}" manifest_text)
  string(JSON plugin_id ERROR_VARIABLE json_error GET "${manifest_text}" id)
  if(json_error)
    message(FATAL_ERROR "atrium_add_plugin(${name}): ${manifest} has no \"id\" (${json_error})")
  endif()
  if(NOT plugin_id MATCHES "^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$")
    message(FATAL_ERROR "atrium_add_plugin(${name}): the id \"${plugin_id}\" is not lower-case dot-separated words like \"acme.invoices\"")
  endif()
  string(JSON plugin_abi ERROR_VARIABLE json_error GET "${manifest_text}" abi)
  get_property(sdk_abi GLOBAL PROPERTY ATRIUM_SDK_ABI)
  if(NOT ARG_ABI_UNCHECKED AND NOT plugin_abi STREQUAL sdk_abi)
    message(FATAL_ERROR "atrium_add_plugin(${name}): ${manifest} declares \"abi\": \"${plugin_abi}\" but this SDK "
                        "builds ABI ${sdk_abi}; set \"abi\": \"${sdk_abi}\" (a host loads it when its ABI is ${sdk_abi} or a later 1.x)")
  endif()

  if(ARG_OUTPUT_DIRECTORY)
    set(out_root "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED ATRIUM_PLUGIN_OUTPUT_DIRECTORY)
    set(out_root "${ATRIUM_PLUGIN_OUTPUT_DIRECTORY}")
  else()
    set(out_root "${CMAKE_BINARY_DIR}/plugins")
  endif()
  set(out_dir "${out_root}/${plugin_id}")

  get_property(sdk_cmake_dir GLOBAL PROPERTY ATRIUM_SDK_CMAKE_DIR)
  set(embedded "${CMAKE_CURRENT_BINARY_DIR}/${name}_manifest.cpp")
  add_custom_command(OUTPUT "${embedded}"
    COMMAND "${CMAKE_COMMAND}" "-DIN=${manifest}" "-DOUT=${embedded}" -P "${sdk_cmake_dir}/AtriumEmbedManifest.cmake"
    DEPENDS "${manifest}" "${sdk_cmake_dir}/AtriumEmbedManifest.cmake"
    COMMENT "Embedding the manifest of plugin ${plugin_id}"
    VERBATIM)

  # Only the entry point is exported; everything else (the C++ layer, nlohmann-json, the
  # plugin's own code) stays private to the library, so plugins cannot clash with each other.
  set(version_script "${CMAKE_CURRENT_BINARY_DIR}/${name}_exports.map")
  file(CONFIGURE OUTPUT "${version_script}" CONTENT "{\n  global: atrium_plugin_query;\n  local: *;\n};\n")

  add_library(${name} MODULE ${ARG_SOURCES} "${embedded}")
  target_link_libraries(${name} PRIVATE Atrium::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "${plugin_id}"
    SUFFIX ".so"
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LIBRARY_OUTPUT_DIRECTORY "$<1:${out_dir}>"
    ATRIUM_PLUGIN_ID "${plugin_id}"
    ATRIUM_PLUGIN_DIR "${out_dir}")
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # --no-undefined: a plugin gets the host only through atrium_host_api, never by symbol, so
    # an unresolved symbol is a build error here rather than a refusal at load time.
    target_link_options(${name} PRIVATE "LINKER:--version-script=${version_script}" "LINKER:--no-undefined")
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${version_script}")
  endif()

  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${manifest}" "${out_dir}/atrium-plugin.json"
    COMMENT "Placing atrium-plugin.json beside lib${plugin_id}.so"
    VERBATIM)
  if(ARG_ASSETS)
    get_filename_component(assets "${ARG_ASSETS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    # Copied whenever a file under it changes (not only when the library relinks), so an edit
    # to a page or a bundle shows at the next build; removed files go too.
    file(GLOB_RECURSE asset_files CONFIGURE_DEPENDS "${assets}/*")
    set(stamp "${CMAKE_CURRENT_BINARY_DIR}/${name}_web.stamp")
    add_custom_command(OUTPUT "${stamp}"
      COMMAND "${CMAKE_COMMAND}" -E rm -rf "${out_dir}/web"
      COMMAND "${CMAKE_COMMAND}" -E copy_directory "${assets}" "${out_dir}/web"
      COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
      DEPENDS ${asset_files}
      COMMENT "Copying the web assets of plugin ${plugin_id}"
      VERBATIM)
    add_custom_target(${name}_web ALL DEPENDS "${stamp}")
    add_dependencies(${name} ${name}_web)
  endif()

  if(NOT ARG_NO_INSTALL AND NOT ATRIUM_PLUGIN_NO_INSTALL)
    if(ARG_INSTALL_DESTINATION)
      set(dest "${ARG_INSTALL_DESTINATION}/${plugin_id}")
    else()
      set(dest "${CMAKE_INSTALL_LIBDIR}/atrium/plugins/${plugin_id}")
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION "${dest}" COMPONENT plugins)
    install(FILES "${manifest}" DESTINATION "${dest}" RENAME atrium-plugin.json COMPONENT plugins)
    if(ARG_ASSETS)
      install(DIRECTORY "${assets}/" DESTINATION "${dest}/web" COMPONENT plugins)
    endif()
  endif()
endfunction()
