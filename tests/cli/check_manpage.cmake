# SPDX-License-Identifier: MIT
# check_manpage.cmake - formats a man page with every groff warning on and
# fails if groff fails or says anything.
execute_process(COMMAND ${GROFF} -t -man -ww -z ${PAGE}
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT "${err}" STREQUAL "")
  message(FATAL_ERROR "groff on ${PAGE}: rc=${rc}\n${err}")
endif()
