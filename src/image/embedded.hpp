// The files of src/image/data/ as the build embedded them (the generated embedded_data.cpp defines this).
#pragma once

#include <span>
#include <string_view>

namespace wheelhouse::image::detail {

struct EmbeddedFile {
    std::string_view name;  // "mwaa-2.10.3.json"
    std::string_view text;
};

// Sorted by name.
auto embedded_files() -> std::span<const EmbeddedFile>;

}  // namespace wheelhouse::image::detail
