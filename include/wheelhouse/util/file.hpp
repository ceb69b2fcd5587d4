// Whole-file reads and atomic writes (temporary name in the same folder, then rename).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::util {

auto read_file(const std::filesystem::path& path) -> Expected<std::string>;

// Writes to "<path>.tmp-<random>" in the same folder, fsyncs, then renames over path.
// On any failure the temporary is removed and path is untouched.
auto write_file_atomic(const std::filesystem::path& path, std::string_view content) -> Expected<void>;

}  // namespace wheelhouse::util
