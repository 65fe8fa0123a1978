# Stages runnable packages in ${DK_PACKAGE_DIR}: every examples/NAME/manifest.yaml whose image
# target NAME exists becomes DK_PACKAGE_DIR/NAME/{manifest.yaml, bin/NAME}; the library OS
# becomes the package libos-posix (its manifest, static library and headers).
set(DK_PACKAGE_DIR ${CMAKE_BINARY_DIR}/packages)
set(dk_package_outputs)

file(GLOB dk_example_manifests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*/manifest.yaml)
foreach(manifest ${dk_example_manifests})
  get_filename_component(dir ${manifest} DIRECTORY)
  get_filename_component(name ${dir} NAME)
  if(TARGET ${name})
    set(out ${DK_PACKAGE_DIR}/${name})
    add_custom_command(
      OUTPUT ${out}/bin/${name} ${out}/manifest.yaml
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}/bin
      COMMAND ${CMAKE_COMMAND} -E copy ${manifest} ${out}/manifest.yaml
      COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${name}> ${out}/bin/${name}
      DEPENDS ${name} ${manifest}
      COMMENT "Staging package ${name}")
    list(APPEND dk_package_outputs ${out}/bin/${name})
  endif()
endforeach()

if(TARGET dk_libos AND EXISTS ${CMAKE_SOURCE_DIR}/libos/manifest.yaml)
  set(out ${DK_PACKAGE_DIR}/libos-posix)
  add_custom_command(
    OUTPUT ${out}/manifest.yaml ${out}/lib/libdk_libos.a
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}/lib
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/libos/manifest.yaml ${out}/manifest.yaml
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:dk_libos> ${out}/lib/libdk_libos.a
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${CMAKE_SOURCE_DIR}/libos/include ${out}/include
    COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/dkabi/include/dk/abi.h
            ${CMAKE_SOURCE_DIR}/dkabi/include/dk/dkcalls.h ${out}/include/dk/
    DEPENDS dk_libos ${CMAKE_SOURCE_DIR}/libos/manifest.yaml
    COMMENT "Staging package libos-posix")
  list(APPEND dk_package_outputs ${out}/lib/libdk_libos.a)
endif()

add_custom_target(dk_packages ALL DEPENDS ${dk_package_outputs})
