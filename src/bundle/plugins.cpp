// Every check that can fail happens in plan(), so that `build` stops before writing anything.
#include "wheelhouse/bundle/plugins.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::bundle {

namespace fs = std::filesystem;

namespace {

// Local header, data descriptor and central directory record of one member, with libarchive's
// extra fields (UT, ux, and Zip64 when needed), around two copies of the name.
constexpr std::uint64_t k_member_overhead = 200;
constexpr std::uint64_t k_archive_overhead = 22 + 56 + 20;

auto invalid(std::string message, std::string hint) -> Unexpected<Error> {
    return make_error(ErrorCode::invalid_input, std::move(message), {}, std::move(hint));
}

auto describe(const PlannedMember& m) -> std::string {
    switch (m.origin) {
        case MemberOrigin::wheel:
            if (m.name.back() == '/') return fmt::format("the wheel folder '{}'", m.name);
            return fmt::format("the wheel '{}' (from {})", m.name, m.source.string());
        case MemberOrigin::constraints: return fmt::format("the constraints file '{}'", m.name);
        case MemberOrigin::plugins_dir:
            if (m.name.back() == '/') return fmt::format("the plugins-dir folder '{}'", m.name);
            return fmt::format("the plugins-dir file '{}' ({})", m.name, m.source.string());
    }
    return m.name;
}

auto ends_with_icase(std::string_view s, std::string_view suffix) -> bool {
    return s.size() >= suffix.size() && util::iequals(s.substr(s.size() - suffix.size()), suffix);
}

auto is_inside(const fs::path& root, const fs::path& target) -> bool {
    auto rel = target.lexically_relative(root);
    return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// The user's plugin files, as members named relative to the folder.
auto walk_plugins_dir(const fs::path& dir, std::vector<PlannedMember>& out) -> Expected<void> {
    std::error_code ec;
    auto root = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(root, ec)) {
        return make_error(ErrorCode::not_found, "the plugins folder (--plugins-dir) does not exist or is not a folder",
                          Location{dir.string(), 0, 0}, "check the path given to --plugins-dir");
    }
    auto walk_error = [&](const fs::path& where, const std::error_code& error) {
        return make_error(ErrorCode::io, fmt::format("cannot read the plugins folder: {}", error.message()),
                          Location{where.string(), 0, 0},
                          "check that the plugins folder and everything in it is readable by this user");
    };
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec) return walk_error(root, ec);
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) return walk_error(root, ec);
        const auto& path = it->path();
        auto leaf = path.filename().string();
        auto name = path.lexically_relative(root).generic_string();
        auto status = it->symlink_status(ec);
        if (ec) return walk_error(path, ec);
        // Python writes these when the plugins are imported locally; MWAA's Python rebuilds them.
        if (leaf == "__pycache__") {
            if (fs::is_directory(status)) it.disable_recursion_pending();
            continue;
        }
        if (ends_with_icase(leaf, ".pyc")) continue;

        if (fs::is_symlink(status)) {
            auto target = fs::canonical(path, ec);
            if (ec) {
                return make_error(ErrorCode::invalid_input, "symlink in the plugins folder points nowhere",
                                  Location{path.string(), 0, 0}, "remove the link or make it point to a file");
            }
            if (!is_inside(root, target)) {
                auto e = make_error(ErrorCode::invalid_input,
                                    "symlink in the plugins folder points outside it: its target would not be in "
                                    "plugins.zip",
                                    Location{path.string(), 0, 0}, "copy the file into the plugins folder instead");
                e.error.context = target.string();
                return e;
            }
            auto target_status = fs::status(target, ec);
            if (ec || !fs::is_regular_file(target_status)) {
                return make_error(ErrorCode::invalid_input,
                                  "symlink in the plugins folder points to a folder or a special file; only links "
                                  "to files are followed",
                                  Location{path.string(), 0, 0},
                                  "replace the link with a copy of what it points to, or remove it");
            }
            auto size = fs::file_size(target, ec);
            if (ec) return walk_error(target, ec);
            out.push_back(PlannedMember{name, MemberOrigin::plugins_dir, target, size});
            continue;
        }
        if (fs::is_directory(status)) {
            out.push_back(PlannedMember{name + "/", MemberOrigin::plugins_dir, path, 0});
            continue;
        }
        if (fs::is_regular_file(status)) {
            auto size = it->file_size(ec);
            if (ec) return walk_error(path, ec);
            out.push_back(PlannedMember{name, MemberOrigin::plugins_dir, path, size});
            continue;
        }
        return make_error(ErrorCode::invalid_input, "the plugins folder holds a special file (socket, device or FIFO)",
                          Location{path.string(), 0, 0}, "remove it from the plugins folder");
    }
    return {};
}

auto normalise_wheel_dir(std::string_view dir) -> Expected<std::string> {
    while (!dir.empty() && dir.back() == '/') dir.remove_suffix(1);
    if (dir.empty()) return std::string();
    if (!archive::is_safe_member_name(dir) || !util::is_valid_utf8(dir)) {
        return invalid(fmt::format("the wheel folder (--wheel-dir) '{}' must be a relative path inside the bundle, "
                                   "without '.' or '..'",
                                   dir),
                       "use a name such as 'wheels'");
    }
    return std::string(dir);
}

auto largest_wheels(const std::vector<PlannedMember>& members) -> std::string {
    std::vector<const PlannedMember*> wheels;
    for (const auto& m : members) {
        if (m.origin == MemberOrigin::wheel && m.name.back() != '/') wheels.push_back(&m);
    }
    std::stable_sort(wheels.begin(), wheels.end(),
                     [](const PlannedMember* a, const PlannedMember* b) { return a->size > b->size; });
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < wheels.size() && i < 5; ++i) {
        auto slash = wheels[i]->name.rfind('/');
        auto base = slash == std::string::npos ? wheels[i]->name : wheels[i]->name.substr(slash + 1);
        parts.push_back(fmt::format("{} ({})", base, format_size(wheels[i]->size)));
    }
    return parts.empty() ? std::string("none") : util::join(parts, ", ");
}

}  // namespace

auto format_size(std::uint64_t bytes) -> std::string {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    auto value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

auto PluginsLayout::plan(PluginsRequest request) -> Expected<PluginsLayout> {
    auto wheel_dir = normalise_wheel_dir(request.wheel_dir);
    if (!wheel_dir) return unexpected(std::move(wheel_dir).error());
    request.wheel_dir = *wheel_dir;
    auto prefix = wheel_dir->empty() ? std::string() : *wheel_dir + "/";

    std::vector<PlannedMember> members;
    if (!prefix.empty()) members.push_back(PlannedMember{prefix, MemberOrigin::wheel, {}, 0});
    for (const auto& wheel : request.wheels) {
        auto filename = wheel.filename.empty() ? wheel.path.filename().string() : wheel.filename;
        if (!ends_with_icase(filename, ".whl") || filename.find('/') != std::string::npos) {
            return invalid(
                fmt::format("'{}' cannot be bundled: a bundled wheel must be a file name ending in '.whl'", filename),
                "only wheels can be bundled; check the file names in the lock file or the index");
        }
        std::error_code ec;
        auto size = fs::file_size(wheel.path, ec);
        if (ec) {
            return make_error(ErrorCode::not_found, fmt::format("cannot read the wheel {}: {}", filename, ec.message()),
                              Location{wheel.path.string(), 0, 0},
                              "the wheel went missing from the cache (another wheelhouse pruning it?); run the "
                              "command again");
        }
        members.push_back(PlannedMember{prefix + filename, MemberOrigin::wheel, wheel.path, size});
    }
    if (request.constraints) {
        members.push_back(
            PlannedMember{std::string(k_constraints_name), MemberOrigin::constraints, {}, request.constraints->size()});
    }
    if (request.plugins_dir) {
        auto walked = walk_plugins_dir(*request.plugins_dir, members);
        if (!walked) return unexpected(std::move(walked).error());
    }

    // One member per name (folders from both sides merge), and no file where a folder is needed.
    std::map<std::string, const PlannedMember*> by_name;
    PluginsLayout layout;
    for (const auto& m : members) {
        if (m.origin == MemberOrigin::plugins_dir &&
            (!archive::is_safe_member_name(m.name) || !util::is_valid_utf8(m.name) || m.name.size() > 0xffff)) {
            return make_error(ErrorCode::invalid_input,
                              "this file name cannot be stored in a zip (backslash, "
                              "invalid UTF-8 or too long)",
                              Location{m.source.string(), 0, 0}, "rename it in the plugins folder");
        }
        auto [it, inserted] = by_name.emplace(m.name, &m);
        if (inserted) continue;
        if (m.name.back() == '/') continue;
        return invalid(fmt::format("{} has the same name as {}", describe(m), describe(*it->second)),
                       m.origin == MemberOrigin::plugins_dir
                           ? "rename or remove one of the two files (the one in the plugins folder)"
                           : "each wheel may be bundled once");
    }
    for (const auto& [name, member] : by_name) {
        for (auto pos = name.find('/'); pos != std::string::npos && pos + 1 < name.size();
             pos = name.find('/', pos + 1)) {
            auto blocker = by_name.find(name.substr(0, pos));
            if (blocker != by_name.end()) {
                return invalid(fmt::format("{} is a file, but {} needs a folder of that name",
                                           describe(*blocker->second), describe(*member)),
                               "rename or remove one of the two in the plugins folder");
            }
        }
    }
    for (const auto& [name, member] : by_name) layout.m_members.push_back(*member);

    std::uint64_t estimate = k_archive_overhead;
    for (const auto& m : layout.m_members) estimate += m.size + k_member_overhead + 2 * m.name.size();
    layout.m_estimated_size = estimate;
    if (request.max_size && estimate > *request.max_size) {
        return invalid(
            fmt::format("plugins.zip would be about {}, over the {} limit; largest wheels: {}", format_size(estimate),
                        format_size(*request.max_size), largest_wheels(layout.m_members)),
            "MWAA stops the requirements install after about 9-10 minutes and AWS advises keeping "
            "plugins.zip under 1 GB: leave out or replace the largest packages, or raise the limit with "
            "--max-size");
    }
    if (estimate > request.warn_size) {
        layout.m_warnings.push_back(fmt::format(
            "plugins.zip will be about {}, over {}: MWAA may not finish installing it within its 9-10 minute "
            "limit; largest wheels: {}",
            format_size(estimate), format_size(request.warn_size), largest_wheels(layout.m_members)));
    }
    layout.m_request = std::move(request);
    return layout;
}

auto PluginsLayout::write(const fs::path& destination) const -> Expected<archive::ZipResult> {
    auto options = m_request.zip;
    options.parent_directories = true;
    archive::ZipWriter writer(options);
    for (const auto& m : m_members) {
        Expected<void> added;
        if (m.name.back() == '/') {
            added = writer.add_directory(m.name);
        } else if (m.origin == MemberOrigin::constraints) {
            added = writer.add_bytes(m.name, *m_request.constraints);
        } else {
            added = writer.add_file(m.name, m.source);
        }
        if (!added) return unexpected(std::move(added).error());
    }
    return writer.write(destination);
}

}  // namespace wheelhouse::bundle
