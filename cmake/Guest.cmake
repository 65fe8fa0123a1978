# Guest code: freestanding static x86-64 ELF images built by the machine's own gcc, with none
# of the harness's options (no sanitizers, no host libc).
set(DK_GUEST_CFLAGS -ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fno-pic -fno-pie
    -fcf-protection=none -fno-asynchronous-unwind-tables -O2 -g -Wall -Wextra -Werror -std=gnu11
    -UNDEBUG
    # Reproducible images: no checkout or build path inside, so a golden trace recorded in
    # one tree replays in any other (a trace names its image by hash).
    -ffile-prefix-map=${CMAKE_SOURCE_DIR}=dk -ffile-prefix-map=${CMAKE_BINARY_DIR}=dk-build
    -gno-record-gcc-switches
)
set(DK_GUEST_LDFLAGS -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack
    -Wl,-z,max-page-size=4096)

# dk_guest_library(NAME SOURCES...): a static library of guest code.
function(dk_guest_library name)
  add_library(${name} STATIC ${ARGN})
  target_compile_options(${name} PRIVATE ${DK_GUEST_CFLAGS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
endfunction()

# dk_guest_image(NAME SOURCES... [LIBS libs...]): a static guest image.
function(dk_guest_image name)
  cmake_parse_arguments(G "" "" "LIBS;LDFLAGS" ${ARGN})
  add_executable(${name} ${G_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE ${DK_GUEST_CFLAGS})
  target_link_options(${name} PRIVATE ${DK_GUEST_LDFLAGS} ${G_LDFLAGS})
  target_link_libraries(${name} PRIVATE ${G_LIBS} gcc)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE OFF
                        RUNTIME_OUTPUT_DIRECTORY ${DK_GUEST_DIR})
  add_dependencies(dk_guest_all ${name})
endfunction()

# Every guest image lands in ${DK_GUEST_DIR}, where tests and the CLI find them.
set(DK_GUEST_DIR ${CMAKE_BINARY_DIR}/guest)
add_custom_target(dk_guest_all)
