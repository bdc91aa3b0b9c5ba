# SPDX-License-Identifier: MIT
# Regenerates src/server/control.{c,h} from control.x with tetherc into OUT
# and fails unless both are byte-identical to the committed files.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${TETHERC} -o ${OUT} ${SRC}/control.x
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tetherc failed on control.x: ${err}")
endif()
foreach(f control.c control.h)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/${f}
                  ${SRC}/${f} RESULT_VARIABLE diff)
  if(NOT diff EQUAL 0)
    message(FATAL_ERROR "src/server/${f} differs from tetherc's output for "
            "control.x: regenerate with tetherc -o src/server src/server/control.x")
  endif()
endforeach()
message(STATUS "control.c and control.h match tetherc's output")
