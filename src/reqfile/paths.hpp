// Private: path and URL string operations spelled the way pip (Python's posixpath/urllib) spells them,
// so that origins and joined include names match pip's text exactly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wheelhouse::reqfile::detail {

auto posix_dirname(std::string_view path) -> std::string;
auto posix_join(std::string_view a, std::string_view b) -> std::string;
auto posix_normpath(std::string_view path) -> std::string;
auto posix_basename(std::string_view path) -> std::string;
// os.path.abspath relative to the current directory.
auto absolute_path(std::string_view path) -> std::string;
// pip's splitext on a file name: ".tar" is kept with the next extension (".tar.gz").
auto pip_extension(std::string_view filename) -> std::string;

// urllib.parse.urlsplit(s).scheme: lowercase, or empty when s has none.
auto url_scheme(std::string_view s) -> std::string;
// pip's `^(http|https|file):` test (case-insensitive) for include names.
auto has_include_scheme(std::string_view s) -> bool;
// urllib.parse.urljoin for the cases includes use (RFC 3986 reference resolution).
auto url_join(std::string_view base, std::string_view ref) -> std::string;
// The last path segment of a URL, percent-decoded, trailing slashes ignored (pip's Link.filename).
auto url_filename(std::string_view url) -> std::string;
// A local file: URL to a path; nullopt for a remote host.
auto file_url_to_path(std::string_view url) -> std::optional<std::string>;
auto percent_decode(std::string_view s) -> std::string;

}  // namespace wheelhouse::reqfile::detail
