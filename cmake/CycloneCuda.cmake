# Decides whether the CUDA backend is built (CYCLONE_CUDA=AUTO|ON|OFF) and
# picks architectures that work with or without a visible GPU.
include(CheckLanguage)
set(CYCLONE_WITH_CUDA OFF)
if(NOT CYCLONE_CUDA STREQUAL "OFF")
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
