# Finds the header-only and small dependencies. The system's copies are used
# first; tools/stage_deps.sh can stage them into .deps/ for machines without a
# package manager.
set(CYCLONE_DEPS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/.deps CACHE PATH "Staged dependency headers")
find_package(ZLIB REQUIRED)

find_path(CYCLONE_STB_DIR stb/stb_image.h HINTS ${CYCLONE_DEPS_DIR}/include)
if(NOT CYCLONE_STB_DIR)
  message(FATAL_ERROR "stb headers not found: apt-get install libstb-dev, "
          "or run tools/stage_deps.sh to stage them into .deps/")
endif()
find_path(CYCLONE_DOCTEST_DIR doctest/doctest.h HINTS ${CYCLONE_DEPS_DIR}/include)
set(CYCLONE_PRIVATE_INCLUDES ${CYCLONE_STB_DIR})
