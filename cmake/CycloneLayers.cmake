# The library's layers: one static library per folder, each linked to the layers it may use.
#
# cyclone_layer(<name> [DIRS <folders>] [SOURCES <files>] [DEPENDS <layers>]) builds
# cyclone_<name> from the .cpp files of its folders (and their subfolders). Its sources see
# the headers of their own layer and of the layers below it, and nothing else: each layer
# compiles against an include folder of its own (build/layers/<name>/) that links in only
# those folders, so an #include that runs up the layers fails to compile. The DEPENDS lists
# are the documented layer order (docs/tour/README.md); tests/check_layers.py checks every
# #include against them, including the rule that a layer uses only the layers it names.
set(CYCLONE_LAYERS "" CACHE INTERNAL "")

# The folders a layer's sources may include from: its own and, transitively, its dependencies'.
function(_cyclone_layer_visible name out)
  set(_seen)
  set(_todo ${name})
  while(_todo)
    list(POP_FRONT _todo _l)
    if(_l IN_LIST _seen)
      continue()
    endif()
    list(APPEND _seen ${_l})
    list(APPEND _todo ${CYCLONE_LAYER_${_l}_DEPENDS})
  endwhile()
  set(_dirs)
  foreach(_l IN LISTS _seen)
    list(APPEND _dirs ${CYCLONE_LAYER_${_l}_DIRS})
  endforeach()
  list(REMOVE_DUPLICATES _dirs)
  set(${out} ${_dirs} PARENT_SCOPE)
endfunction()

# Declares a layer: records its folders and dependencies (the targets are made by
# cyclone_build_layers once every layer is declared, since tensor and autograd need each other).
function(cyclone_layer name)
  cmake_parse_arguments(L "" "" "DIRS;SOURCES;DEPENDS" ${ARGN})
  if(NOT L_DIRS)
    set(L_DIRS ${name})
  endif()
  set(CYCLONE_LAYER_${name}_DIRS ${L_DIRS} CACHE INTERNAL "")
  set(CYCLONE_LAYER_${name}_DEPENDS ${L_DEPENDS} CACHE INTERNAL "")
  set(CYCLONE_LAYER_${name}_SOURCES ${L_SOURCES} CACHE INTERNAL "")
  set(CYCLONE_LAYERS ${CYCLONE_LAYERS} ${name} CACHE INTERNAL "")
endfunction()

function(cyclone_build_layers)
  set(_table "")
  foreach(name IN LISTS CYCLONE_LAYERS)
    set(_srcs ${CYCLONE_LAYER_${name}_SOURCES})
    if(NOT _srcs)
      foreach(dir IN LISTS CYCLONE_LAYER_${name}_DIRS)
        file(GLOB _found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp ${PROJECT_SOURCE_DIR}/${dir}/*/*.cpp)
        list(APPEND _srcs ${_found})
      endforeach()
    endif()
    # build/layers/<name>/<folder> -> the source folder, for every folder this layer may see.
    set(_view ${PROJECT_BINARY_DIR}/layers/${name})
    file(REMOVE_RECURSE ${_view})
    _cyclone_layer_visible(${name} _visible)
    foreach(dir IN LISTS _visible)
      get_filename_component(_parent ${_view}/${dir} DIRECTORY)
      file(MAKE_DIRECTORY ${_parent})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${dir} ${_view}/${dir} SYMBOLIC)
    endforeach()
    add_library(cyclone_${name} STATIC ${_srcs})
    add_library(cyclone::${name} ALIAS cyclone_${name})
    target_include_directories(cyclone_${name} PRIVATE ${_view} ${CYCLONE_PRIVATE_INCLUDES})
    target_compile_features(cyclone_${name} PUBLIC cxx_std_20)
    set_target_properties(cyclone_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON OUTPUT_NAME cyclone_${name})
    foreach(dep IN LISTS CYCLONE_LAYER_${name}_DEPENDS)
      target_link_libraries(cyclone_${name} PUBLIC cyclone_${dep})
    endforeach()
    cyclone_set_warnings(cyclone_${name})
    cyclone_apply_sanitizers(cyclone_${name})
    string(JOIN "," _deps ${CYCLONE_LAYER_${name}_DEPENDS})
    string(JOIN "," _dirs ${CYCLONE_LAYER_${name}_DIRS})
    string(APPEND _table "${name}: dirs=${_dirs} depends=${_deps}\n")
  endforeach()
  # The same table, for tests/check_layers.py.
  file(WRITE ${PROJECT_BINARY_DIR}/layers.txt "${_table}")
endfunction()
