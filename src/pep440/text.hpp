// Text helpers shared by the version and specifier parsers (private to the module).
#pragma once

#include <cstddef>
#include <string_view>

namespace wheelhouse::pep440 {

// Python's str.strip()/`\s` whitespace (ASCII plus the Unicode spaces, as UTF-8): packaging strips
// these around versions and specifiers, so we must too. Returns the byte length matched, 0 if none.
auto is_python_space_at(std::string_view s, std::size_t i) -> std::size_t;
auto is_python_space_before(std::string_view s, std::size_t end) -> std::size_t;
// Trims that whitespace on both sides; offset receives the number of bytes dropped on the left.
auto trim_python_space(std::string_view s, std::size_t& offset) -> std::string_view;
auto contains_python_space(std::string_view s) -> bool;

}  // namespace wheelhouse::pep440
