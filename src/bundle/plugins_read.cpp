// Reading a plugins.zip back for `verify`: which wheels it holds and the constraints it carries.
#include <fmt/format.h>

#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::bundle {

namespace {

// A bundle may legitimately hold wheels of several hundred MB (torch); the caps only stop zip
// bombs. constraints.txt is read into memory and so has its own, small cap.
constexpr archive::Limits k_bundle_limits{8ULL << 30, 64ULL << 30, 1000000};

auto is_wheel_in(const archive::Entry& entry, const std::string& prefix) -> bool {
    if (entry.is_dir || entry.is_symlink) return false;
    std::string_view name = entry.name;
    if (name.size() < 4 || !util::iequals(name.substr(name.size() - 4), ".whl")) return false;
    if (!name.starts_with(prefix)) return false;
    return name.substr(prefix.size()).find('/') == std::string_view::npos;
}

}  // namespace

auto read_plugins(const std::filesystem::path& zip, std::string_view wheel_dir) -> Expected<PluginsContents> {
    while (!wheel_dir.empty() && wheel_dir.back() == '/') wheel_dir.remove_suffix(1);
    auto prefix = wheel_dir.empty() ? std::string() : std::string(wheel_dir) + "/";
    auto reader = archive::ZipReader::open(zip, k_bundle_limits);
    if (!reader) return unexpected(std::move(reader).error());

    std::vector<archive::Entry> wheels;
    std::vector<archive::Entry> others;
    std::optional<std::string> constraints;
    for (const auto& entry : reader->entries()) {
        if (is_wheel_in(entry, prefix)) {
            wheels.push_back(entry);
        } else if (entry.name == k_constraints_name && !entry.is_dir && !entry.is_symlink) {
            if (entry.size > k_max_constraints_size) {
                return make_error(
                    ErrorCode::verification,
                    fmt::format("constraints.txt in the bundle is {} bytes, too large to be one", entry.size),
                    Location{zip.string(), 0, 0},
                    "the bundle was not written by wheelhouse or was altered; do not deploy it, build it again with "
                    "'wheelhouse build'");
            }
            auto text = reader->read(entry.name, k_max_constraints_size);  // the header's size may lie
            if (!text) return unexpected(std::move(text).error());
            constraints = std::move(*text);
        } else if (!entry.is_dir) {
            others.push_back(entry);
        }
    }
    return PluginsContents{std::move(*reader), std::move(wheels), std::move(constraints), std::move(others)};
}

}  // namespace wheelhouse::bundle
