# The third-party libraries of the harness, each as an INTERFACE target dk_dep_<name> that a
# target links shared, or statically (from the distribution's own archive, libunicorn.a of
# Debian's libunicorn-dev and so on) when the target's DK_STATIC_DEPS property is ON.
#
# dk sets it with DK_STATIC_DK (cli/CMakeLists.txt): the dynamic loader spent ~24 ms of every dk process
# relocating libunicorn.so and libcapstone.so (~122,000 relative relocations, and the page
# faults of the pages they write; docs/performance.md, "Start-up of the dk process"). Tests
# and benchmarks keep the shared libraries: linking the 30 MB libunicorn.a into each of them
# would cost every build minutes of link time and a gigabyte of disk.
#
# On by default since the engine empties its translation buffer between runs before it can
# fill (emu/src/engine.cc): in a dk linked this way (and in any dk whose executable is not a
# PIE, or that carries Unicorn in a PIE), Unicorn 2.1.1 crashed when an engine's 32 MiB
# translation buffer filled inside a run (tb_set_jmp_target writing through a block whose
# code pointer is 0; `dk run --copies 211 hello` did, every run, before the guard). Configure
# with -DDK_STATIC_DK=OFF for the shared, PIE dk.
option(DK_STATIC_DK "Link the dk binary non-PIE against static Unicorn, Capstone, yaml-cpp, zstd, xxhash and libstdc++"
       ON)
if(DK_SANITIZE OR DK_FUZZ)
  set(DK_STATIC_DK OFF)  # instrumented builds measure nothing of start-up
endif()

find_package(Threads REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET GLOBAL libzstd)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET GLOBAL sqlite3)

# dk_dependency(NAME SHARED_TARGET ARCHIVE LIBDIRS [EXTRA...]): dk_dep_NAME links
# SHARED_TARGET, or ARCHIVE (found in LIBDIRS, the package's own library folder) and EXTRA
# (what the archive needs: its .pc file's Libs.private) for a target with DK_STATIC_DEPS ON.
function(dk_dependency name shared archive libdirs)
  add_library(dk_dep_${name} INTERFACE)
  target_link_libraries(dk_dep_${name} INTERFACE
                        "$<$<NOT:$<BOOL:$<TARGET_PROPERTY:DK_STATIC_DEPS>>>:${shared}>")
  if(NOT DK_STATIC_DK)
    return()
  endif()
  find_library(DK_${name}_ARCHIVE NAMES ${archive} HINTS ${libdirs} NO_CACHE)
  if(NOT DK_${name}_ARCHIVE)
    message(FATAL_ERROR "${archive} not found (in ${libdirs}): run scripts/setup, or configure with -DDK_STATIC_DK=OFF")
  endif()
  get_target_property(includes ${shared} INTERFACE_INCLUDE_DIRECTORIES)
  if(includes)
    target_include_directories(dk_dep_${name} INTERFACE ${includes})
  endif()
  foreach(item ${DK_${name}_ARCHIVE} ${ARGN})
    target_link_libraries(dk_dep_${name} INTERFACE "$<$<BOOL:$<TARGET_PROPERTY:DK_STATIC_DEPS>>:${item}>")
  endforeach()
endfunction()

# libunicorn.a needs libm and pthreads (unicorn.pc, Libs.private: -lpthread -lm); Capstone,
# yaml-cpp and xxhash nothing; zstd pthreads (libzstd.pc, Libs.private: -pthread).
dk_dependency(unicorn PkgConfig::UNICORN libunicorn.a "${UNICORN_LIBRARY_DIRS}" Threads::Threads m)
dk_dependency(capstone PkgConfig::CAPSTONE libcapstone.a "${CAPSTONE_LIBRARY_DIRS}")
get_target_property(DK_YAML_CPP_SO yaml-cpp IMPORTED_LOCATION_RELEASE)
if(NOT DK_YAML_CPP_SO)
  get_target_property(DK_YAML_CPP_SO yaml-cpp IMPORTED_LOCATION_NONE)
endif()
get_filename_component(DK_YAML_CPP_DIR "${DK_YAML_CPP_SO}" DIRECTORY)
dk_dependency(yaml_cpp yaml-cpp libyaml-cpp.a "${DK_YAML_CPP_DIR}")
dk_dependency(zstd PkgConfig::ZSTD libzstd.a "${ZSTD_LIBRARY_DIRS}" Threads::Threads)
dk_dependency(xxhash PkgConfig::XXHASH libxxhash.a "${XXHASH_LIBRARY_DIRS}")
# libsqlite3.a: libm, pthreads and dlopen (its symbols; the .pc file's -lz is not needed).
dk_dependency(sqlite PkgConfig::SQLITE libsqlite3.a "${SQLITE_LIBRARY_DIRS}" Threads::Threads m dl)

# dk_static_executable(TARGET): links TARGET against the archives above, libstdc++ and
# libgcc statically, and not position-independent (no relocations for the loader to apply;
# libc, libm and the loader stay shared: dk dlopens host plug-ins).
function(dk_static_executable target)
  if(NOT DK_STATIC_DK)
    return()
  endif()
  set_target_properties(${target} PROPERTIES DK_STATIC_DEPS ON)
  target_link_options(${target} PRIVATE -no-pie -static-libstdc++ -static-libgcc)
endfunction()
