# SPDX-License-Identifier: MIT
# tether-bench: built from tetherc output of bench/echo.x and
# bench/notify.x. Added only once tetherc and the client/server headers
# exist, so the build never breaks while they land. Runs the in-tree
# tetherc directly (one custom command per .x file).
if(TARGET tetherc
   AND EXISTS ${PROJECT_SOURCE_DIR}/include/tether/client.h
   AND EXISTS ${PROJECT_SOURCE_DIR}/include/tether/server.h)
  set(tb_gen ${CMAKE_CURRENT_BINARY_DIR}/tetherc-gen)
  set(tb_srcs)
  foreach(x echo notify)
    add_custom_command(OUTPUT ${tb_gen}/${x}.c ${tb_gen}/${x}.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${tb_gen}
      COMMAND tetherc -o ${tb_gen} ${CMAKE_CURRENT_SOURCE_DIR}/${x}.x
      DEPENDS tetherc ${CMAKE_CURRENT_SOURCE_DIR}/${x}.x
      COMMENT "tetherc bench/${x}.x")
    list(APPEND tb_srcs ${tb_gen}/${x}.c ${tb_gen}/${x}.h)
  endforeach()
  add_executable(tether-bench tether_bench.c ${tb_srcs})
  target_include_directories(tether-bench PRIVATE ${tb_gen})
  target_link_libraries(tether-bench PRIVATE bench_common tether_internal
                        Threads::Threads)
  install(TARGETS tether-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
