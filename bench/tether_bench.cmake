# SPDX-License-Identifier: MIT
# tether-bench: built from tetherc output of bench/echo.x and
# bench/notify.x with tether_generate() (cmake/TetherGenerate.cmake).
# Added only once tetherc and the client/server headers exist, so the
# build never breaks while they land.
if(TARGET tetherc AND COMMAND tether_generate
   AND EXISTS ${PROJECT_SOURCE_DIR}/include/tether/client.h
   AND EXISTS ${PROJECT_SOURCE_DIR}/include/tether/server.h)
  add_executable(tether-bench tether_bench.c)
  tether_generate(TARGET tether-bench FILES
    ${CMAKE_CURRENT_SOURCE_DIR}/echo.x ${CMAKE_CURRENT_SOURCE_DIR}/notify.x)
  target_link_libraries(tether-bench PRIVATE bench_common tether_internal
                        Threads::Threads)
  install(TARGETS tether-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
