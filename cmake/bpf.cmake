# Compile a libbpf CO-RE program and generate its skeleton with bpftool.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(HS_VMLINUX_H ${CMAKE_BINARY_DIR}/kernel/vmlinux.h)
set(HS_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF that vmlinux.h is generated from")

# bpf_skeleton(<name> <source.bpf.c> DEPENDS <headers...>)
# Produces target <name>_skel with ${CMAKE_BINARY_DIR}/kernel/<name>.skel.h.
function(bpf_skeleton name source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(obj ${CMAKE_BINARY_DIR}/kernel/${name}.bpf.o)
  # CO-RE: types come from this machine's BTF; relocations adapt them at load.
  # One rule for every program, whichever directory it is in.
  if(NOT TARGET hs_vmlinux_h)
    add_custom_command(
      OUTPUT ${HS_VMLINUX_H}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/kernel
      COMMAND sh -c "${BPFTOOL} btf dump file ${HS_BTF} format c > ${HS_VMLINUX_H}"
      COMMENT "Generating vmlinux.h from ${HS_BTF}"
      VERBATIM)
    add_custom_target(hs_vmlinux_h DEPENDS ${HS_VMLINUX_H})
  endif()
  set(skel ${CMAKE_BINARY_DIR}/kernel/${name}.skel.h)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REPLACE "x86_64" "x86" arch "${arch}")
  string(REPLACE "aarch64" "arm64" arch "${arch}")
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${arch}
            -Wall -Werror
            -I${CMAKE_BINARY_DIR}/kernel -I${CMAKE_SOURCE_DIR}/kernel
            -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -c ${source} -o ${obj}
    DEPENDS ${source} ${HS_VMLINUX_H} ${ARG_DEPENDS}
    COMMENT "Compiling BPF program ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_dependencies(${name}_skel_gen hs_vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_BINARY_DIR}/kernel ${CMAKE_SOURCE_DIR}/kernel)
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
