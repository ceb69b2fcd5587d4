#include <algorithm>

#include <fmt/format.h>

#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

// Facts from the images MWAA runs (aws-mwaa-local-runner for Airflow 2.4-2.8, and
// amazon-mwaa-docker-images for 2.9 onwards): base OS, its glibc, and the Python they build.
// Python micro versions: 3.11.9 (2.10.3) and 3.12.10 (2.11.0, 3.0.6) are read from the images'
// Dockerfiles; the others are the release each image line shipped with and only matter for
// python_full_version markers.
struct Fact {
    const char* airflow;
    unsigned py_major;
    unsigned py_minor;
    unsigned py_micro;
    const char* base_os;
    unsigned glibc_minor;
};

constexpr Fact facts[] = {
    {"2.4.3", 3, 10, 13, "Amazon Linux 2", 26},     {"2.5.1", 3, 10, 13, "Amazon Linux 2", 26},
    {"2.6.3", 3, 10, 13, "Amazon Linux 2", 26},     {"2.7.2", 3, 11, 9, "Amazon Linux 2023", 34},
    {"2.8.1", 3, 11, 9, "Amazon Linux 2023", 34},   {"2.9.2", 3, 11, 9, "Amazon Linux 2023", 34},
    {"2.10.1", 3, 11, 9, "Amazon Linux 2023", 34},  {"2.10.3", 3, 11, 9, "Amazon Linux 2023", 34},
    {"2.11.0", 3, 12, 10, "Amazon Linux 2023", 34}, {"3.0.6", 3, 12, 10, "Amazon Linux 2023", 34},
};

auto make_presets() -> std::vector<Preset> {
    std::vector<Preset> out;
    for (const auto& fact : facts) {
        Preset preset;
        preset.airflow_version = fact.airflow;
        preset.name = "mwaa-" + preset.airflow_version;
        preset.python = PythonVersion{fact.py_major, fact.py_minor, fact.py_micro};
        preset.base_os = fact.base_os;
        preset.glibc_major = 2;
        preset.glibc_minor = fact.glibc_minor;
        preset.arch = "x86_64";
        preset.constraints_file = fmt::format("constraints-{}.txt", preset.python.to_string());
        preset.constraints_url = fmt::format("https://raw.githubusercontent.com/apache/airflow/constraints-{}/{}",
                                             preset.airflow_version, preset.constraints_file);
        out.push_back(std::move(preset));
    }
    return out;
}

// Airflow versions as numbers for "newest of a line" lookups.
auto version_key(std::string_view version) -> std::vector<std::uint64_t> {
    std::vector<std::uint64_t> key;
    for (auto part : util::split(version, '.')) key.push_back(util::parse_uint64(part).value_or(0));
    return key;
}

}  // namespace

auto Preset::target() const -> Target {
    TargetOptions options;
    options.implementation = "cp";
    options.python_version = python.to_string();
    if (python.micro) options.python_version += fmt::format(".{}", *python.micro);
    options.platforms = linux_platforms(arch, glibc_major, glibc_minor);
    options.expansion = PlatformExpansion::exact;
    // Built from constants that are known to be valid.
    auto target = Target::from_options(options, name);
    return std::move(target).value();
}

auto presets() -> const std::vector<Preset>& {
    static const std::vector<Preset> all = make_presets();
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

}  // namespace wheelhouse::tags
