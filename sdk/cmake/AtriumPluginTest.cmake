# atrium_add_plugin_test(): a CTest test that runs a command against a throwaway Atrium host
# with your plugin loaded (through the atrium-plugin-test script installed with the SDK).
#
#   atrium_add_plugin_test(NAME <test name>
#                          PLUGINS <target made by atrium_add_plugin()>…  # or PLUGIN_PATH <dirs>
#                          [ATRIUM <path to the atrium binary>]          # default: ATRIUM_EXECUTABLE,
#                                                                         # else atrium on PATH
#                          COMMAND <command> [<arg>…])
#
# The command sees ATRIUM_URL, ATRIUM_TOKEN (an administrator's API token), ATRIUM_EMAIL,
# ATRIUM_PASSWORD, ATRIUM_DB and ATRIUM_TEST_DIR; its exit status is the test's result. Example:
#
#   atrium_add_plugin_test(NAME hello.routes PLUGINS hello
#     COMMAND sh -c "curl -fsS -H \"Authorization: Bearer $ATRIUM_TOKEN\" $ATRIUM_URL/api/v1/hello/greetings")
#
# (Write $VAR inside a quoted argument as above: the shell of the command expands it.)

set(ATRIUM_PLUGIN_TEST_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/atrium-plugin-test" CACHE INTERNAL "the atrium-plugin-test script")

function(atrium_add_plugin_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME;ATRIUM" "PLUGINS;PLUGIN_PATH;COMMAND")
  if(NOT ARG_NAME OR NOT ARG_COMMAND)
    message(FATAL_ERROR "atrium_add_plugin_test() needs NAME <name> and COMMAND <command>…")
  endif()
  if(NOT ARG_PLUGINS AND NOT ARG_PLUGIN_PATH)
    message(FATAL_ERROR "atrium_add_plugin_test(${ARG_NAME}) needs PLUGINS <targets> or PLUGIN_PATH <dirs>")
  endif()
  set(path_entries ${ARG_PLUGIN_PATH})
  foreach(target IN LISTS ARG_PLUGINS)
    if(NOT TARGET ${target})
      message(FATAL_ERROR "atrium_add_plugin_test(${ARG_NAME}): ${target} is not a target; name the one atrium_add_plugin() made")
    endif()
    list(APPEND path_entries "$<TARGET_PROPERTY:${target},ATRIUM_PLUGIN_DIR>")
  endforeach()
  list(JOIN path_entries ":" plugin_path)
  set(atrium "${ARG_ATRIUM}")
  if(NOT atrium)
    if(NOT ATRIUM_EXECUTABLE)
      find_program(ATRIUM_EXECUTABLE atrium)
    endif()
    set(atrium "${ATRIUM_EXECUTABLE}")
  endif()
  set(atrium_args "")
  if(atrium)
    set(atrium_args --atrium "${atrium}")
  endif()
  add_test(NAME ${ARG_NAME}
    COMMAND "${ATRIUM_PLUGIN_TEST_SCRIPT}" ${atrium_args} --plugin-path "${plugin_path}" -- ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT 300)
endfunction()
