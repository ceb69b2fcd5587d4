// Project names: PEP 503 normalisation and PEP 508 validity.
#pragma once

#include <string>
#include <string_view>

namespace wheelhouse::pep508 {

// Lowercase, runs of '-', '_', '.' collapsed to one '-' (PEP 503), e.g. "Foo.Bar__baz" -> "foo-bar-baz".
auto canonicalize_name(std::string_view name) -> std::string;

// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$ case-insensitively (PEP 508 / core metadata Name).
auto is_valid_name(std::string_view name) -> bool;

// True if name already equals canonicalize_name(name) and is valid.
auto is_normalized_name(std::string_view name) -> bool;

}  // namespace wheelhouse::pep508
