# Decides whether the CUDA backend is built (CYCLONE_CUDA=AUTO|ON|OFF|EMULATE) and
# picks architectures that work with or without a visible GPU. EMULATE compiles
# the same kernels/cuda/*.cu as C++ and runs them on an emulated device on the CPU.
include(CheckLanguage)
set(CYCLONE_WITH_CUDA OFF)
set(CYCLONE_CUDA_EMULATED OFF)
if(CYCLONE_CUDA STREQUAL "EMULATE")
  set(CYCLONE_WITH_CUDA ON)
  set(CYCLONE_CUDA_EMULATED ON)
  # Every load and store of a kernel is checked where the compiler can hook them (clang).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(_checks_default ON)
  else()
    set(_checks_default OFF)
  endif()
  option(CYCLONE_EMU_ACCESS_CHECKS "Check every kernel load and store in the emulated build (clang)" ${_checks_default})
  if(CYCLONE_EMU_ACCESS_CHECKS AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CYCLONE_EMU_ACCESS_CHECKS needs clang (-fsanitize-coverage=trace-loads,trace-stores); "
            "configure with -DCMAKE_CXX_COMPILER=clang++ or -DCYCLONE_EMU_ACCESS_CHECKS=OFF")
  endif()
  message(STATUS "cyclone: CUDA backend EMULATED on the CPU (access checks: ${CYCLONE_EMU_ACCESS_CHECKS})")
elseif(NOT CYCLONE_CUDA STREQUAL "OFF")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
      # 'native' needs a visible GPU; without one, build for Hopper (H100/H200, sm_90).
      execute_process(COMMAND nvidia-smi -L RESULT_VARIABLE _smi OUTPUT_QUIET ERROR_QUIET)
      if(_smi EQUAL 0)
        set(CMAKE_CUDA_ARCHITECTURES native)
      else()
        set(CMAKE_CUDA_ARCHITECTURES 90)
      endif()
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA20 dialect for nvcc; the .cu files need only C++17
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CYCLONE_WITH_CUDA ON)
    message(STATUS "cyclone: CUDA backend ON (architectures: ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(CYCLONE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "CYCLONE_CUDA=ON but no CUDA compiler was found. Install the CUDA "
            "Toolkit (nvcc) and put it on PATH or set CMAKE_CUDA_COMPILER, "
            "or configure with -DCYCLONE_CUDA=OFF for a CPU-only build.")
  else()
    message(STATUS "cyclone: no CUDA compiler found; building the CPU backend only")
  endif()
else()
  message(STATUS "cyclone: CUDA backend OFF (CYCLONE_CUDA=OFF)")
endif()

# The flags that make a .cu file a C++ file of the emulated build.
function(cyclone_emulate_cuda_sources)
  set(_opts -ffp-contract=off -Wno-unknown-pragmas)  # CMake adds -x c++ for LANGUAGE CXX
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND _opts -Wno-maybe-uninitialized)  # false positives on guarded register arrays at -O3
  endif()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    list(APPEND _opts -mfma)  # fmaf is one instruction, not a libm call
  endif()
  if(CYCLONE_EMU_ACCESS_CHECKS)
    # The access hooks; no auto-vectorising, which would merge a kernel's scalar accesses.
    list(APPEND _opts -fsanitize-coverage=inline-8bit-counters,trace-loads,trace-stores
         -fno-vectorize -fno-slp-vectorize)
    if(CYCLONE_SANITIZE MATCHES "address")
      list(APPEND _opts -fsanitize-address-use-after-return=never)  # locals stay on the fiber stack
    endif()
  endif()
  if(CYCLONE_SANITIZE MATCHES "undefined")
    list(APPEND _opts -fno-sanitize=alignment)  # the emulator reports misalignment itself, naming the thread
  endif()
  if(CYCLONE_SANITIZE)
    list(APPEND _opts -O2)  # a sanitizer build is -O1; the emulated kernels are its hot loops
  endif()
  set_source_files_properties(${ARGN} PROPERTIES LANGUAGE CXX COMPILE_OPTIONS "${_opts}")
endfunction()
