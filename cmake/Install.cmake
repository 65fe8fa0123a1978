# Install rules for hosts built out of tree: the ABI headers (dk/abi.h, dk/host_plugin.h), a
# CMake package (find_package(Dk) gives the INTERFACE target Dk::abi) and a pkg-config file
# (dk.pc). Nothing of the harness is installed: a plug-in host links none of it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(dk_abi_headers INTERFACE)
target_include_directories(dk_abi_headers INTERFACE
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/dkabi/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(dk_abi_headers PROPERTIES EXPORT_NAME abi)
add_library(Dk::abi ALIAS dk_abi_headers)

install(FILES ${CMAKE_SOURCE_DIR}/dkabi/include/dk/abi.h
              ${CMAKE_SOURCE_DIR}/dkabi/include/dk/host_plugin.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dk COMPONENT dev)
install(TARGETS dk_abi_headers EXPORT DkTargets)
install(EXPORT DkTargets NAMESPACE Dk:: FILE DkTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Dk COMPONENT dev)

set(DK_INSTALL_CONFIG_IN ${CMAKE_BINARY_DIR}/cmake/DkConfig.cmake.in)
file(WRITE ${DK_INSTALL_CONFIG_IN} [=[
# Dk: the picoprocess ABI headers for host plug-ins. Target: Dk::abi (headers only).
@PACKAGE_INIT@
include("${CMAKE_CURRENT_LIST_DIR}/DkTargets.cmake")
set(Dk_ABI_MAJOR 1)
set(Dk_ABI_MINOR 0)
check_required_components(Dk)
]=])
configure_package_config_file(${DK_INSTALL_CONFIG_IN} ${CMAKE_BINARY_DIR}/cmake/DkConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Dk)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/DkConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/DkConfig.cmake ${CMAKE_BINARY_DIR}/cmake/DkConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Dk COMPONENT dev)

# pkg-config: relocatable, the prefix found from the .pc file's own place.
file(RELATIVE_PATH DK_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" DK_PC_TO_PREFIX "${DK_PC_TO_PREFIX}")
file(WRITE ${CMAKE_BINARY_DIR}/cmake/dk.pc
"prefix=\${pcfiledir}/${DK_PC_TO_PREFIX}
includedir=\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}

Name: dk
Description: Dk picoprocess ABI headers (dk/abi.h) and the host plug-in C ABI (dk/host_plugin.h)
Version: ${PROJECT_VERSION}
Cflags: -I\${includedir}
")
install(FILES ${CMAKE_BINARY_DIR}/cmake/dk.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
