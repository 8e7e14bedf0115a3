# Warnings for our own targets only (never global flags), and sanitizers.
function(cyclone_set_warnings target)
  # -Wno-restrict: GCC 12 reports false positives inside std::string at -O3 (GCC bug 105329).
  set(_cxx -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter -Wno-restrict)
  if(CYCLONE_WARNINGS_AS_ERRORS)
    list(APPEND _cxx -Werror)
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${_cxx}>)
  if(CYCLONE_WITH_CUDA)
    set(_cu -Xcompiler=-Wall -Xcompiler=-Wextra -Xcompiler=-Wno-unused-parameter
            --expt-relaxed-constexpr)
    if(CYCLONE_WARNINGS_AS_ERRORS)
      list(APPEND _cu -Werror=all-warnings)
    endif()
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:${_cu}>)
  endif()
endfunction()

function(cyclone_apply_sanitizers target)
  if(CYCLONE_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=${CYCLONE_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=${CYCLONE_SANITIZE})
  endif()
endfunction()
