#include "wheelhouse/image/image.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "embedded.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::image {
namespace {

using nlohmann::json;

constexpr int k_schema = 1;

auto string_or_empty(const json& object, const char* key) -> std::string {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return {};
    return it->get<std::string>();
}

// A copied file: its lines joined with "\n" give the file back byte for byte.
auto joined_lines(const json& field) -> std::optional<std::string> {
    if (field.is_null()) return std::nullopt;
    const auto& lines = field.at("lines");
    if (lines.is_null()) return std::nullopt;
    std::string text;
    bool first = true;
    for (const auto& line : lines) {
        if (!first) text += '\n';
        text += line.get<std::string>();
        first = false;
    }
    return text;
}

auto unsigned_of(std::string_view digits, std::string_view what) -> unsigned {
    auto value = util::parse_uint64(digits);
    if (!value || *value > 1000) throw std::runtime_error(fmt::format("{}: not a small number: '{}'", what, digits));
    return static_cast<unsigned>(*value);
}

auto to_preset(const json& doc) -> Preset {
    if (doc.at("schema").get<int>() != k_schema)
        throw std::runtime_error(fmt::format("schema {} (this build reads {})", doc.at("schema").dump(), k_schema));
    Preset preset;
    preset.airflow_version = doc.at("airflow_version").get<std::string>();
    preset.name = "mwaa-" + preset.airflow_version;
    auto python = tags::PythonVersion::parse(doc.at("python_version").get<std::string>());
    if (!python || !python->micro) throw std::runtime_error("python_version: not an exact version");
    preset.python = *python;
    preset.base_os = doc.at("base_os").get<std::string>();
    const auto glibc_text = doc.at("glibc").get<std::string>();  // split() returns views into it
    auto glibc = util::split(glibc_text, '.');
    if (glibc.size() != 2) throw std::runtime_error("glibc: not <major>.<minor>");
    preset.glibc_major = unsigned_of(glibc[0], "glibc");
    preset.glibc_minor = unsigned_of(glibc[1], "glibc");
    preset.arch = doc.at("arch").get<std::string>();
    preset.platform_tag = doc.at("platform_tag").get<std::string>();
    preset.constraints_file = fmt::format("constraints-{}.txt", preset.python.to_string());

    const auto& airflow = doc.at("airflow_constraints");
    preset.constraints_url = airflow.at("url").get<std::string>();
    preset.airflow_constraints = joined_lines(airflow);
    preset.airflow_constraints_file = string_or_empty(airflow, "file");
    const auto& essential = doc.at("essential_constraints");
    preset.essential_constraints = joined_lines(essential);
    if (!essential.is_null()) preset.essential_constraints_file = string_or_empty(essential, "file");

    if (const auto& installed = doc.at("installed"); !installed.is_null()) {
        preset.has_installed_set = true;
        preset.bom_count = installed.at("bom_count").get<std::size_t>();
        for (const auto& p : installed.at("packages")) {
            InstalledPackage package;
            package.display_name = p.at("name").get<std::string>();
            package.name = tags::normalize_name(package.display_name);
            if (!p.at("version").is_null()) package.version = p.at("version").get<std::string>();
            preset.installed.push_back(std::move(package));
        }
        std::sort(preset.installed.begin(), preset.installed.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
    }
    if (const auto& base = doc.at("base_requirements"); !base.is_null()) {
        preset.base_requirements_file = string_or_empty(base, "file");
        for (const auto& r : base.at("requirements")) preset.base_requirements.push_back(r.get<std::string>());
    }
    if (const auto& paths = doc.at("paths"); !paths.is_null()) {
        preset.paths.user_site = string_or_empty(paths, "user_site");
        preset.paths.airflow_constraints = string_or_empty(paths, "airflow_constraints");
        preset.paths.essential_constraints = string_or_empty(paths, "essential_constraints");
    }
    if (const auto& source = doc.at("source"); !source.is_null()) {
        auto& s = preset.data_source;
        s.kind = string_or_empty(source, "kind");
        s.repository = string_or_empty(source, "repository");
        s.commit = string_or_empty(source, "commit");
        s.path = string_or_empty(source, "path");
        s.license = string_or_empty(source, "license");
        preset.source = fmt::format("{} {} {}", s.repository, s.commit.substr(0, 12), s.path);
    }
    // The platform list is generated from the glibc; the data's newest tag must be the one it starts with.
    auto platforms = tags::linux_platforms(preset.arch, preset.glibc_major, preset.glibc_minor);
    if (platforms.empty() || platforms.front() != preset.platform_tag)
        throw std::runtime_error(fmt::format("platform_tag {} is not the newest tag of glibc {}.{} {}",
                                             preset.platform_tag, preset.glibc_major, preset.glibc_minor, preset.arch));
    return preset;
}

// Airflow versions as numbers for "newest of a line" lookups.
auto version_key(std::string_view version) -> std::vector<std::uint64_t> {
    std::vector<std::uint64_t> key;
    for (auto part : util::split(version, '.')) key.push_back(util::parse_uint64(part).value_or(0));
    return key;
}

auto load_presets() -> std::vector<Preset> {
    std::vector<Preset> out;
    for (const auto& file : detail::embedded_files()) {
        auto preset = parse_preset(file.text, file.name);
        // The data is part of the build and unit-tested file by file: a file that does not load is a broken build.
        if (!preset) std::abort();
        out.push_back(std::move(*preset));
    }
    std::sort(out.begin(), out.end(), [](const Preset& a, const Preset& b) {
        return version_key(a.airflow_version) < version_key(b.airflow_version);
    });
    return out;
}

}  // namespace

auto parse_preset(std::string_view json_text, std::string_view file) -> Expected<Preset> {
    try {
        return to_preset(json::parse(json_text));
    } catch (const std::exception& e) {
        return make_error(ErrorCode::internal, fmt::format("MWAA image data {}: {}", file, e.what()),
                          Location{std::string(file), 0, 0},
                          "regenerate src/image/data with scripts/mwaa-image-data and rebuild");
    }
}

auto Preset::target() const -> tags::Target {
    tags::TargetOptions options;
    options.implementation = "cp";
    options.python_version = python.to_string();
    if (python.micro) options.python_version += fmt::format(".{}", *python.micro);
    options.platforms = tags::linux_platforms(arch, glibc_major, glibc_minor);
    options.expansion = tags::PlatformExpansion::exact;
    // Built from data that parse_preset checked.
    auto target = tags::Target::from_options(options, name);
    return std::move(target).value();
}

auto Preset::find_installed(std::string_view wanted) const -> const InstalledPackage* {
    auto key = tags::normalize_name(wanted);
    auto it = std::lower_bound(installed.begin(), installed.end(), key,
                               [](const InstalledPackage& p, const std::string& k) { return p.name < k; });
    return it != installed.end() && it->name == key ? &*it : nullptr;
}

auto Preset::airflow_constraints_origin() const -> std::string {
    return fmt::format("{} {} {}", name, data_source.kind, airflow_constraints_file);
}

auto Preset::essential_constraints_origin() const -> std::string {
    return fmt::format("{} {} {}", name, data_source.kind, essential_constraints_file);
}

auto presets() -> const std::vector<Preset>& {
    static const std::vector<Preset> all = load_presets();
    return all;
}

auto find_preset(std::string_view name) -> Expected<Preset> {
    auto wanted = util::to_lower(util::trim(name));
    std::string_view rest = wanted;
    if (rest.substr(0, 5) == "mwaa-") rest.remove_prefix(5);
    const auto& all = presets();
    for (const auto& preset : all) {
        if (preset.airflow_version == rest) return preset;
    }
    // Aliases: "latest", "<major>", "<major>.<minor>", optionally followed by ".x".
    std::string line(rest);
    if (line.size() >= 2 && line.substr(line.size() - 2) == ".x") line.resize(line.size() - 2);
    const Preset* newest = nullptr;
    if (!line.empty()) {
        for (const auto& preset : all) {
            const auto& v = preset.airflow_version;
            bool matches = line == "latest" ||
                           (v.size() > line.size() && v.compare(0, line.size(), line) == 0 && v[line.size()] == '.');
            if (matches && (newest == nullptr || version_key(v) > version_key(newest->airflow_version)))
                newest = &preset;
        }
    }
    if (newest != nullptr) return *newest;
    std::vector<std::string> names;
    for (const auto& preset : all) names.push_back(preset.name);
    auto error = make_error(
        ErrorCode::usage, fmt::format("unknown target '{}'", name), Location{},
        "known targets: " + util::join(names, ", ") + " (or an alias such as mwaa-2.10, mwaa-3.x, mwaa-latest)");
    error.error.context = std::string(name);
    return error;
}

}  // namespace wheelhouse::image
