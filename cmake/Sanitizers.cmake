# ASan+UBSan for the whole build, and the libFuzzer instrumentation for fuzz builds.
if(WHEELHOUSE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(WHEELHOUSE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "WHEELHOUSE_FUZZ needs clang (libFuzzer)")
  endif()
  # The same ASan+UBSan as WHEELHOUSE_SANITIZE, so that this build also runs the unit, integration and e2e
  # suites under the sanitizers (ctest --preset sanitize); UBSan findings abort there too.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
