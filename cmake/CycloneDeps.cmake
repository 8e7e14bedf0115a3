# Finds the header-only and small dependencies. The system's copies are used
# first; tools/scripts/stage_deps.sh can stage them into .deps/include for machines
# without a package manager, searched last (PATHS, not HINTS).
set(CYCLONE_DEPS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/.deps CACHE PATH "Staged dependency headers")
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  set(ZLIB_ROOT ${CYCLONE_DEPS_DIR})  # zlib.h + lib/libz.a staged by tools/scripts/stage_deps.sh
  find_package(ZLIB)
endif()
if(NOT ZLIB_FOUND)
  message(FATAL_ERROR "zlib not found: apt-get install zlib1g-dev, or run tools/scripts/stage_deps.sh")
endif()

find_path(CYCLONE_STB_DIR stb/stb_image.h PATHS ${CYCLONE_DEPS_DIR}/include)
if(NOT CYCLONE_STB_DIR)
  message(FATAL_ERROR "stb headers not found: apt-get install libstb-dev, "
          "or run tools/scripts/stage_deps.sh to stage them into .deps/")
endif()
find_path(CYCLONE_DOCTEST_DIR doctest/doctest.h PATHS ${CYCLONE_DEPS_DIR}/include)
set(CYCLONE_PRIVATE_INCLUDES ${CYCLONE_STB_DIR})

# cuDNN, a peer for bench/ only (never linked into the library): headers from the
# CUDA toolkit or the system, else .deps/include; the library likewise.
if(CYCLONE_WITH_CUDA AND NOT CYCLONE_CUDA_EMULATED)
  find_path(CYCLONE_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS}
            PATHS ${CYCLONE_DEPS_DIR}/include)
  find_library(CYCLONE_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 HINTS ${CUDAToolkit_LIBRARY_DIR})
endif()
