# Project-wide warning flags; WHEELHOUSE_WERROR turns them into errors (CI builds).
add_library(wheelhouse_warnings INTERFACE)
target_compile_options(wheelhouse_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# g++ 12's -Wmaybe-uninitialized misfires on std::string members of aggregates once inlining is on (-O2).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(wheelhouse_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
if(WHEELHOUSE_WERROR)
  target_compile_options(wheelhouse_warnings INTERFACE -Werror)
endif()
