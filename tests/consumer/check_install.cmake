# Installs the build tree into a scratch prefix, then configures, builds and
# runs tests/consumer against it with find_package(cyclone). The consumer sees the
# machine as the build did: the build's CMAKE_IGNORE_PATH and CMAKE_IGNORE_PREFIX_PATH
# (e.g. hiding the system's zlib so that the staged .deps copy is used) are passed on.
file(REMOVE_RECURSE ${WORK_DIR})
file(READ ${BUILD_DIR}/CMakeCache.txt build_cache)
foreach(var IN ITEMS CMAKE_IGNORE_PATH CMAKE_IGNORE_PREFIX_PATH)
  set(build_${var} "")
  if(build_cache MATCHES "\n${var}:[A-Z]+=([^\n]*)")
    set(build_${var} "${CMAKE_MATCH_1}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix "-DCMAKE_IGNORE_PATH=${build_CMAKE_IGNORE_PATH}"
                        "-DCMAKE_IGNORE_PREFIX_PATH=${build_CMAKE_IGNORE_PREFIX_PATH}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer project failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer project failed (${rc})")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer program failed (${rc})")
endif()
