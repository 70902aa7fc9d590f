# Installs the SDK component into a fresh prefix, builds the example installed with it
# (share/atrium-sdk/examples/hello-plugin) as a separate CMake project (nothing from the source
# tree on its include path), checks the package's version rule, runs the hello tests of
# atrium_abi_tests against that build, then runs a check through the installed test fixture
# (bin/atrium-plugin-test and atrium_add_plugin_test()).
foreach(var BUILD_DIR EXAMPLE_DIR WORK_DIR GENERATOR TEST_BINARY)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "sdk_install_test.cmake needs -D${var}=…")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(JOIN " " cmd ${ARGN})
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --component sdk --prefix "${prefix}")
foreach(f include/atrium/plugin.h include/atrium/sdk.hpp bin/atrium-plugin-test
          share/atrium-sdk/examples/hello-plugin/CMakeLists.txt share/atrium-sdk/examples/hello-plugin/atrium-plugin.json
          share/doc/atrium-sdk/plugin-guide.md)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "the SDK install lacks ${f}")
  endif()
endforeach()
# Build the example as a third party gets it: the copy installed with the SDK.
set(EXAMPLE_DIR "${prefix}/share/atrium-sdk/examples/hello-plugin")
file(GLOB_RECURSE config_files "${prefix}/*/AtriumSdkConfig.cmake")
if(NOT config_files)
  message(FATAL_ERROR "the SDK install lacks lib/cmake/AtriumSdk/AtriumSdkConfig.cmake")
endif()

set(compiler_args "")
if(CXX_COMPILER)
  set(compiler_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
run("${CMAKE_COMMAND}" -S "${EXAMPLE_DIR}" -B "${WORK_DIR}/hello-build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release ${compiler_args})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/hello-build" -j 2)
foreach(f plugins/hello/libhello.so plugins/hello/atrium-plugin.json plugins/hello/web/main.js)
  if(NOT EXISTS "${WORK_DIR}/hello-build/${f}")
    message(FATAL_ERROR "the out-of-tree build did not produce ${f}")
  endif()
endforeach()
# The plugin must export exactly one symbol.
find_program(NM nm)
if(NM)
  execute_process(COMMAND "${NM}" -D --defined-only "${WORK_DIR}/hello-build/plugins/hello/libhello.so" OUTPUT_VARIABLE symbols)
  string(REGEX MATCHALL "[^\n]+" lines "${symbols}")
  list(LENGTH lines count)
  if(NOT count EQUAL 1 OR NOT symbols MATCHES "atrium_plugin_query")
    message(FATAL_ERROR "libhello.so should export only atrium_plugin_query, exports:\n${symbols}")
  endif()
endif()
# Installing the plugin puts the folder layout ATRIUM_PLUGIN_PATH expects under the prefix.
run("${CMAKE_COMMAND}" --install "${WORK_DIR}/hello-build" --prefix "${WORK_DIR}/plugin-prefix")
file(GLOB_RECURSE installed "${WORK_DIR}/plugin-prefix/*/atrium/plugins/hello/atrium-plugin.json")
if(NOT installed)
  message(FATAL_ERROR "cmake --install of the plugin did not place <prefix>/lib/atrium/plugins/hello/atrium-plugin.json")
endif()

# SameMajorVersion: an SDK 1.x must not satisfy a request for 2.
file(MAKE_DIRECTORY "${WORK_DIR}/probe")
file(WRITE "${WORK_DIR}/probe/CMakeLists.txt" "cmake_minimum_required(VERSION 3.20)\nproject(probe NONE)\n"
  "find_package(AtriumSdk 2 QUIET)\nif(AtriumSdk_FOUND)\n  message(FATAL_ERROR \"AtriumSdk 1.x accepted a request for 2\")\nendif()\n")
run("${CMAKE_COMMAND}" -S "${WORK_DIR}/probe" -B "${WORK_DIR}/probe/build" "-DCMAKE_PREFIX_PATH=${prefix}")

# Load it into a running atrium (on both backends) and call its routes.
set(ENV{ATRIUM_HELLO_PLUGIN_DIR} "${WORK_DIR}/hello-build/plugins")
run("${TEST_BINARY}" "--gtest_filter=*HelloPlugin*")

# The test fixture third parties use in their CI: the installed script starts atrium on a
# temporary SQLite database with the plugin, creates a token, runs the command, stops the host.
if(ATRIUM_BINARY AND CHECK_SCRIPT)
  run("${prefix}/bin/atrium-plugin-test" --atrium "${ATRIUM_BINARY}" --plugin-path "${WORK_DIR}/hello-build/plugins"
      -- bash "${CHECK_SCRIPT}")
  # … and the same through CMake: atrium_add_plugin_test() in a project that finds the SDK.
  file(MAKE_DIRECTORY "${WORK_DIR}/fixture-probe")
  file(WRITE "${WORK_DIR}/fixture-probe/CMakeLists.txt" "cmake_minimum_required(VERSION 3.20)
project(fixture_probe NONE)
enable_testing()
find_package(AtriumSdk 1 REQUIRED)
atrium_add_plugin_test(NAME hello.fixture PLUGIN_PATH \"${WORK_DIR}/hello-build/plugins\" ATRIUM \"${ATRIUM_BINARY}\"
  COMMAND bash \"${CHECK_SCRIPT}\")
")
  run("${CMAKE_COMMAND}" -S "${WORK_DIR}/fixture-probe" -B "${WORK_DIR}/fixture-probe/build" "-DCMAKE_PREFIX_PATH=${prefix}")
  get_filename_component(cmake_bin "${CMAKE_COMMAND}" DIRECTORY)
  run("${cmake_bin}/ctest" --test-dir "${WORK_DIR}/fixture-probe/build" --output-on-failure)
  # A failing command fails the fixture (a test that cannot fail proves nothing).
  execute_process(COMMAND "${prefix}/bin/atrium-plugin-test" --atrium "${ATRIUM_BINARY}" --plugin-path "${WORK_DIR}/hello-build/plugins"
                  -- false RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    message(FATAL_ERROR "atrium-plugin-test reported success for a failing command")
  endif()
endif()
message(STATUS "SDK installed, example built out of tree, loaded and served")
