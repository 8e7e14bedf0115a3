# install + export, so an outside project can find_package(cyclone) and link cyclone::cyclone.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(_layer_targets)
foreach(name IN LISTS CYCLONE_LAYERS)
  list(APPEND _layer_targets cyclone_${name})
endforeach()
install(TARGETS cyclone ${_layer_targets} EXPORT cycloneTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(dir IN LISTS CYCLONE_LAYERS)
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cyclone/${dir}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/cyclone.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cyclone)
install(EXPORT cycloneTargets NAMESPACE cyclone:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cyclone)
# The prefix of the zlib this build links (the system's, or .deps/ from tools/scripts/stage_deps.sh): the
# installed config searches it after the system's, as libcyclone.a needs zlib when a program links.
get_filename_component(CYCLONE_ZLIB_PREFIX "${ZLIB_INCLUDE_DIR}" DIRECTORY)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/cycloneConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cycloneConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cyclone)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cycloneConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cycloneConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/cycloneConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cyclone)
