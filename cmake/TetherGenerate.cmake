# SPDX-License-Identifier: MIT
# TetherGenerate.cmake - run tetherc from CMake.
#
#   tether_generate(TARGET tgt FILES foo.x [bar.x ...]
#                   [OUTPUT_DIR dir] [IMPORTS base.x ...]
#                   [OPTIONS -DNAME -I dir ...])
#
# For each FILE, runs `tetherc OPTIONS -o OUTPUT_DIR FILE` at build time
# (again whenever the .x file or tetherc changes), adds OUTPUT_DIR/<name>.c
# to tgt's sources and OUTPUT_DIR to its include path (PUBLIC), so that
# `#include "<name>.h"` works. IMPORTS are passed as --import (types used,
# not generated; regenerates when they change): generate those files with
# their own tether_generate() call into the same OUTPUT_DIR. OUTPUT_DIR defaults to
# ${CMAKE_CURRENT_BINARY_DIR}/tether_generated/<tgt>. In the tether build
# tree the in-tree tetherc target is used; from an installed package
# (find_package(tether)), TETHERC_EXECUTABLE if set, else the tetherc
# installed next to the package (<prefix>/bin), else the one on PATH. The target still has to link tether::tether.
include_guard(GLOBAL)

# Installed as <prefix>/lib/cmake/tether/: tetherc is in <prefix>/bin.
set(_tether_generate_bin_hint "${CMAKE_CURRENT_LIST_DIR}/../../../bin")

function(tether_generate)
  cmake_parse_arguments(TG "" "TARGET;OUTPUT_DIR" "FILES;OPTIONS;IMPORTS" ${ARGN})
  if(NOT TG_TARGET OR NOT TG_FILES)
    message(FATAL_ERROR "tether_generate: TARGET and FILES are required")
  endif()
  if(NOT TG_OUTPUT_DIR)
    set(TG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/tether_generated/${TG_TARGET})
  endif()
  if(TARGET tetherc)
    set(cmd $<TARGET_FILE:tetherc>)
    set(dep tetherc)
  else()
    find_program(TETHERC_EXECUTABLE tetherc HINTS ${_tether_generate_bin_hint})
    if(NOT TETHERC_EXECUTABLE)
      message(FATAL_ERROR "tether_generate: tetherc not found (set TETHERC_EXECUTABLE)")
    endif()
    set(cmd ${TETHERC_EXECUTABLE})
    set(dep ${TETHERC_EXECUTABLE})
  endif()
  set(imports)
  set(import_deps)
  foreach(i IN LISTS TG_IMPORTS)
    get_filename_component(abs_i ${i} ABSOLUTE)
    list(APPEND imports --import ${abs_i})
    list(APPEND import_deps ${abs_i})
  endforeach()
  foreach(x IN LISTS TG_FILES)
    get_filename_component(abs ${x} ABSOLUTE)
    get_filename_component(base ${x} NAME_WLE)
    set(out_c ${TG_OUTPUT_DIR}/${base}.c)
    set(out_h ${TG_OUTPUT_DIR}/${base}.h)
    # Files the .x #includes are tracked through a depfile where the
    # generator supports one.
    set(depfile_args)
    set(depfile_opt)
    if(CMAKE_GENERATOR MATCHES "Ninja|Makefiles")
      set(depfile_args DEPFILE ${TG_OUTPUT_DIR}/${base}.d)
      set(depfile_opt --depfile ${TG_OUTPUT_DIR}/${base}.d)
    endif()
    add_custom_command(OUTPUT ${out_c} ${out_h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${TG_OUTPUT_DIR}
      COMMAND ${cmd} ${TG_OPTIONS} ${imports} ${depfile_opt}
              -o ${TG_OUTPUT_DIR} ${abs}
      DEPENDS ${abs} ${dep} ${import_deps}
      ${depfile_args}
      COMMENT "tetherc ${x}"
      VERBATIM)
    target_sources(${TG_TARGET} PRIVATE ${out_c} ${out_h})
  endforeach()
  target_include_directories(${TG_TARGET} PUBLIC ${TG_OUTPUT_DIR})
endfunction()
