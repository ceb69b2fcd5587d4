#include "wheelhouse/tags/target.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

auto parse_small(std::string_view digits, unsigned limit) -> std::optional<unsigned> {
    auto value = util::parse_uint64(digits);
    if (!value || *value > limit) return std::nullopt;
    return static_cast<unsigned>(*value);
}

auto starts_with(std::string_view s, std::string_view prefix) -> bool {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// "<digits>_<digits>_<rest>" as used after "manylinux_", "musllinux_" and "macosx_".
auto split_version_arch(std::string_view s, unsigned& major, unsigned& minor, std::string& arch) -> bool {
    auto first = s.find('_');
    if (first == std::string_view::npos) return false;
    auto second = s.find('_', first + 1);
    if (second == std::string_view::npos) return false;
    auto a = parse_small(s.substr(0, first), 1000000);
    auto b = parse_small(s.substr(first + 1, second - first - 1), 1000000);
    if (!a || !b || second + 1 >= s.size()) return false;
    major = *a;
    minor = *b;
    arch = std::string(s.substr(second + 1));
    return true;
}

auto system_name(PlatformInfo::Kind kind) -> std::string {
    switch (kind) {
        case PlatformInfo::Kind::manylinux:
        case PlatformInfo::Kind::musllinux:
        case PlatformInfo::Kind::linux: return "Linux";
        case PlatformInfo::Kind::macos: return "macOS";
        case PlatformInfo::Kind::windows: return "Windows";
        default: return {};
    }
}

// "cp312" -> "3.12", "py3" -> "3", "cp4" -> "4"; empty when the tail is not digits.
auto version_of_interpreter(std::string_view digits) -> std::string {
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), util::is_ascii_digit)) return {};
    if (digits.size() == 1) return std::string(digits);
    return std::string(digits.substr(0, 1)) + "." + std::string(digits.substr(1));
}

void push_unique(std::vector<std::string>& out, std::string value) {
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

}  // namespace

// ---- PythonVersion ---------------------------------------------------------------------------

auto PythonVersion::parse(std::string_view text) -> Expected<PythonVersion> {
    auto trimmed = util::trim(text);
    auto fail = [&](std::string message) -> Unexpected<Error> {
        auto error = make_error(ErrorCode::invalid_input, std::move(message), Location{{}, 0, 1},
                                "use the form 3.11, 311 or 3.11.4");
        error.error.context = std::string(text);
        return error;
    };
    if (trimmed.empty()) return fail("empty Python version");
    PythonVersion out;
    if (trimmed.find('.') == std::string_view::npos) {
        if (!std::all_of(trimmed.begin(), trimmed.end(), util::is_ascii_digit)) return fail("invalid Python version");
        if (trimmed.size() < 2) return fail("Python version needs a minor version (e.g. 3.11)");
        // pip reads "311" as 3.11: the first digit is the major version.
        auto minor = parse_small(trimmed.substr(1), 999);
        if (!minor) return fail("invalid Python version");
        out.major = static_cast<unsigned>(trimmed[0] - '0');
        out.minor = *minor;
        return out;
    }
    auto parts = util::split(trimmed, '.');
    if (parts.size() < 2 || parts.size() > 3) return fail("invalid Python version: expected major.minor[.micro]");
    auto major = parse_small(parts[0], 99);
    auto minor = parse_small(parts[1], 999);
    if (!major || !minor) return fail("invalid Python version");
    out.major = *major;
    out.minor = *minor;
    if (parts.size() == 3) {
        auto micro = parse_small(parts[2], 999);
        if (!micro) return fail("invalid Python version: micro must be a number");
        out.micro = *micro;
    }
    return out;
}

auto PythonVersion::nodot() const -> std::string {
    return fmt::format("{}{}", major, minor);
}
auto PythonVersion::to_string() const -> std::string {
    return fmt::format("{}.{}", major, minor);
}
auto PythonVersion::full_version() const -> std::string {
    return fmt::format("{}.{}.{}", major, minor, micro.value_or(0));
}

auto implementation_short_name(std::string_view name) -> std::string {
    auto lower = util::to_lower(util::trim(name));
    if (lower == "cpython") return "cp";
    if (lower == "pypy") return "pp";
    if (lower == "ironpython") return "ip";
    if (lower == "jython") return "jy";
    if (lower == "python") return "py";
    return lower;
}

// ---- platforms -------------------------------------------------------------------------------

auto describe_platform(std::string_view platform) -> PlatformInfo {
    PlatformInfo info;
    if (platform == "any") {
        info.kind = PlatformInfo::Kind::any;
        return info;
    }
    struct Legacy {
        std::string_view prefix;
        unsigned minor;
    };
    static constexpr Legacy legacy[] = {{"manylinux1_", 5}, {"manylinux2010_", 12}, {"manylinux2014_", 17}};
    for (const auto& entry : legacy) {
        if (starts_with(platform, entry.prefix) && platform.size() > entry.prefix.size()) {
            info.kind = PlatformInfo::Kind::manylinux;
            info.libc_major = 2;
            info.libc_minor = entry.minor;
            info.arch = std::string(platform.substr(entry.prefix.size()));
            return info;
        }
    }
    if (starts_with(platform, "manylinux_") &&
        split_version_arch(platform.substr(10), info.libc_major, info.libc_minor, info.arch)) {
        info.kind = PlatformInfo::Kind::manylinux;
        return info;
    }
    if (starts_with(platform, "musllinux_") &&
        split_version_arch(platform.substr(10), info.libc_major, info.libc_minor, info.arch)) {
        info.kind = PlatformInfo::Kind::musllinux;
        return info;
    }
    if (starts_with(platform, "linux_") && platform.size() > 6) {
        info.kind = PlatformInfo::Kind::linux;
        info.arch = std::string(platform.substr(6));
        return info;
    }
    unsigned major = 0;
    unsigned minor = 0;
    if (starts_with(platform, "macosx_") && split_version_arch(platform.substr(7), major, minor, info.arch)) {
        info.kind = PlatformInfo::Kind::macos;
        return info;
    }
    if (platform == "win32") {
        info.kind = PlatformInfo::Kind::windows;
        info.arch = "x86";
        return info;
    }
    if (starts_with(platform, "win_")) {
        info.kind = PlatformInfo::Kind::windows;
        info.arch = std::string(platform.substr(4));
        return info;
    }
    return info;
}

auto manylinux_platforms(std::string_view arch, unsigned glibc_major, unsigned glibc_minor)
    -> std::vector<std::string> {
    std::vector<std::string> out;
    if (glibc_major != 2) return out;
    // The oldest level each architecture was ever built for: manylinux1 (glibc 2.5) for x86,
    // manylinux2014 (2.17) for everything else.
    unsigned oldest = (arch == "x86_64" || arch == "i686") ? 5 : 17;
    for (unsigned minor = glibc_minor; minor >= oldest && minor <= glibc_minor; --minor) {
        out.push_back(fmt::format("manylinux_2_{}_{}", minor, arch));
        if (minor == 17) out.push_back(fmt::format("manylinux2014_{}", arch));
        if (minor == 12) out.push_back(fmt::format("manylinux2010_{}", arch));
        if (minor == 5) out.push_back(fmt::format("manylinux1_{}", arch));
        if (minor == 0) break;
    }
    return out;
}

auto linux_platforms(std::string_view arch, unsigned glibc_major, unsigned glibc_minor) -> std::vector<std::string> {
    auto out = manylinux_platforms(arch, glibc_major, glibc_minor);
    out.push_back(fmt::format("linux_{}", arch));
    return out;
}

// ---- tag generation --------------------------------------------------------------------------

auto cpython_tags(const PythonVersion& python, std::vector<std::string> abis, const std::vector<std::string>& platforms)
    -> std::vector<Tag> {
    std::vector<Tag> out;
    auto interpreter = "cp" + python.nodot();
    for (std::string_view explicit_abi : {"abi3", "none"}) {
        auto it = std::find(abis.begin(), abis.end(), explicit_abi);
        if (it != abis.end()) abis.erase(it);
    }
    for (const auto& abi : abis) {
        for (const auto& platform : platforms) out.push_back(Tag::make(interpreter, abi, platform));
    }
    // Free-threaded builds ("t" in the ABI flags of the first ABI) cannot load abi3 extensions.
    bool threaded = false;
    if (!abis.empty() && starts_with(abis.front(), "cp")) {
        std::string_view first = abis.front();
        std::size_t i = 2;
        while (i < first.size() && util::is_ascii_digit(first[i])) ++i;
        threaded = i > 2 && first.substr(i).find('t') != std::string_view::npos;
    }
    bool abi3 = !threaded && (python.major > 3 || (python.major == 3 && python.minor >= 2));
    if (abi3) {
        for (const auto& platform : platforms) out.push_back(Tag::make(interpreter, "abi3", platform));
    }
    for (const auto& platform : platforms) out.push_back(Tag::make(interpreter, "none", platform));
    if (abi3) {
        for (unsigned minor = python.minor; minor-- > 2;) {
            auto older = fmt::format("cp{}{}", python.major, minor);
            for (const auto& platform : platforms) out.push_back(Tag::make(older, "abi3", platform));
        }
    }
    return out;
}

auto generic_tags(std::string_view interpreter, const std::vector<std::string>& abis,
                  const std::vector<std::string>& platforms) -> std::vector<Tag> {
    std::vector<Tag> out;
    std::vector<std::string> all = abis;
    if (std::find(all.begin(), all.end(), "none") == all.end()) all.emplace_back("none");
    for (const auto& abi : all) {
        for (const auto& platform : platforms) out.push_back(Tag::make(interpreter, abi, platform));
    }
    return out;
}

auto compatible_tags(const PythonVersion& python, std::optional<std::string_view> interpreter,
                     const std::vector<std::string>& platforms) -> std::vector<Tag> {
    std::vector<std::string> versions;
    versions.push_back("py" + python.nodot());
    versions.push_back(fmt::format("py{}", python.major));
    for (unsigned minor = python.minor; minor-- > 0;) versions.push_back(fmt::format("py{}{}", python.major, minor));
    std::vector<Tag> out;
    for (const auto& version : versions) {
        for (const auto& platform : platforms) out.push_back(Tag::make(version, "none", platform));
    }
    if (interpreter) out.push_back(Tag::make(*interpreter, "none", "any"));
    for (const auto& version : versions) out.push_back(Tag::make(version, "none", "any"));
    return out;
}

// ---- Target ----------------------------------------------------------------------------------

auto to_string(Mismatch part) -> const char* {
    switch (part) {
        case Mismatch::none: return "none";
        case Mismatch::python: return "python";
        case Mismatch::abi: return "abi";
        case Mismatch::platform: return "platform";
    }
    return "none";
}

auto Target::from_options(const TargetOptions& options, std::string name) -> Expected<Target> {
    auto python = PythonVersion::parse(options.python_version);
    if (!python) return unexpected(std::move(python).error());
    auto implementation = implementation_short_name(options.implementation);
    if (implementation.empty()) implementation = "cp";
    if (!std::all_of(implementation.begin(), implementation.end(), util::is_ascii_alpha)) {
        auto error = make_error(ErrorCode::invalid_input, "invalid implementation", Location{{}, 0, 1},
                                "use cp (CPython), py (any implementation), pp (PyPy)");
        error.error.context = options.implementation;
        return error;
    }

    Target target;
    target.m_name = std::move(name);
    target.m_implementation = implementation;
    target.m_python = *python;

    for (const auto& given : options.platforms) {
        auto platform = util::to_lower(util::trim(given));
        if (platform.empty() || platform.find_first_of(" -.") != std::string::npos) {
            auto error = make_error(ErrorCode::invalid_input, "invalid platform tag", Location{{}, 0, 1},
                                    "e.g. manylinux_2_34_x86_64, manylinux2014_aarch64, linux_x86_64, any");
            error.error.context = given;
            return error;
        }
        auto info = describe_platform(platform);
        if (options.expansion == PlatformExpansion::native && info.kind == PlatformInfo::Kind::manylinux &&
            info.libc_major == 2) {
            for (auto& expanded : linux_platforms(info.arch, info.libc_major, info.libc_minor)) {
                push_unique(target.m_platforms, std::move(expanded));
            }
        } else {
            // pip's own widening of the legacy names: manylinux2014 (x86) also takes manylinux2010
            // and manylinux1 wheels, manylinux2010 takes manylinux1 ones.
            auto arch = info.arch;
            bool x86 = arch == "x86_64" || arch == "i686";
            bool pip = options.expansion == PlatformExpansion::pip;
            bool is2014 = pip && starts_with(platform, "manylinux2014_");
            bool is2010 = pip && starts_with(platform, "manylinux2010_");
            push_unique(target.m_platforms, std::move(platform));
            if (is2014 && x86) push_unique(target.m_platforms, "manylinux2010_" + arch);
            if ((is2014 && x86) || is2010) push_unique(target.m_platforms, "manylinux1_" + arch);
        }
    }
    if (target.m_platforms.empty()) target.m_platforms.emplace_back("any");

    for (const auto& given : options.abis) {
        auto abi = util::to_lower(util::trim(given));
        if (abi.empty() || abi.find_first_of(" -.") != std::string::npos) {
            auto error =
                make_error(ErrorCode::invalid_input, "invalid ABI tag", Location{{}, 0, 1}, "e.g. cp311, abi3, none");
            error.error.context = given;
            return error;
        }
        push_unique(target.m_abis, std::move(abi));
    }

    auto interpreter = implementation + python->nodot();
    std::vector<Tag> generated;
    if (implementation == "cp") {
        if (target.m_abis.empty()) {
            // The ABI of a release build: before 3.8 CPython defaulted to pymalloc ("m"), and
            // before 3.3 builds were wide-unicode ("u") on Linux.
            std::string flags;
            if (python->major < 3 || (python->major == 3 && python->minor < 8)) flags += 'm';
            if (python->major < 3 || (python->major == 3 && python->minor < 3)) flags += 'u';
            target.m_abis.push_back("cp" + python->nodot() + flags);
        }
        generated = cpython_tags(*python, target.m_abis, target.m_platforms);
    } else {
        if (target.m_abis.empty()) target.m_abis.emplace_back("none");
        generated = generic_tags(interpreter, target.m_abis, target.m_platforms);
    }
    auto compatible = compatible_tags(*python, interpreter, target.m_platforms);
    generated.insert(generated.end(), std::make_move_iterator(compatible.begin()),
                     std::make_move_iterator(compatible.end()));
    for (auto& tag : generated) {
        if (target.m_priority.emplace(tag, target.m_tags.size()).second) {
            target.m_interpreter_set.insert(tag.interpreter);
            target.m_abi_set.insert(tag.abi);
            target.m_platform_set.insert(tag.platform);
            target.m_tags.push_back(std::move(tag));
        }
    }
    target.m_platform_set.insert("any");

    for (const auto& platform : target.m_platforms) {
        auto info = describe_platform(platform);
        if (target.m_system.empty()) target.m_system = system_name(info.kind);
        if (info.kind == PlatformInfo::Kind::manylinux) {
            if (target.m_arch.empty()) target.m_arch = info.arch;
            if (info.arch == target.m_arch &&
                (!target.m_glibc || std::pair{info.libc_major, info.libc_minor} > *target.m_glibc)) {
                target.m_glibc = std::pair{info.libc_major, info.libc_minor};
            }
        } else if (target.m_arch.empty() && !info.arch.empty()) {
            target.m_arch = info.arch;
        }
    }
    return target;
}

auto Target::priority(const Tag& tag) const -> std::optional<std::size_t> {
    auto it = m_priority.find(tag);
    if (it == m_priority.end()) return std::nullopt;
    return it->second;
}

auto Target::platform_reason(const TagSet& tags, Tag& about) const -> std::string {
    // Report the platform closest to the target: the same architecture first (then the reason is
    // the glibc level), else the first one given.
    const std::string* chosen = &tags.platforms().front();
    PlatformInfo chosen_info = describe_platform(*chosen);
    for (const auto& platform : tags.platforms()) {
        auto info = describe_platform(platform);
        bool same_arch = !m_arch.empty() && info.arch == m_arch && info.kind == PlatformInfo::Kind::manylinux;
        bool chosen_same =
            !m_arch.empty() && chosen_info.arch == m_arch && chosen_info.kind == PlatformInfo::Kind::manylinux;
        if (same_arch && (!chosen_same || std::pair{info.libc_major, info.libc_minor} <
                                              std::pair{chosen_info.libc_major, chosen_info.libc_minor})) {
            chosen = &platform;
            chosen_info = info;
        }
    }
    about = Tag{tags.interpreters().front(), tags.abis().front(), *chosen};
    std::string target_desc = m_system.empty() ? std::string("the target platforms") : m_system;
    if (!m_arch.empty()) target_desc += ' ' + m_arch;
    const auto& p = *chosen;
    switch (chosen_info.kind) {
        case PlatformInfo::Kind::manylinux:
            if (!m_arch.empty() && chosen_info.arch != m_arch) {
                return fmt::format("built for {} ({}), target is {}", chosen_info.arch, p, m_arch);
            }
            if (m_glibc && std::pair{chosen_info.libc_major, chosen_info.libc_minor} > *m_glibc) {
                return fmt::format("needs glibc {}.{} ({}), target has {}.{}", chosen_info.libc_major,
                                   chosen_info.libc_minor, p, m_glibc->first, m_glibc->second);
            }
            break;
        case PlatformInfo::Kind::musllinux:
            if (!m_arch.empty() && chosen_info.arch != m_arch) {
                return fmt::format("built for {} ({}), target is {}", chosen_info.arch, p, m_arch);
            }
            if (m_system == "Linux" && m_glibc) return fmt::format("built for musl libc ({}), target uses glibc", p);
            break;
        case PlatformInfo::Kind::linux:
            if (!m_arch.empty() && chosen_info.arch != m_arch) {
                return fmt::format("built for {} ({}), target is {}", chosen_info.arch, p, m_arch);
            }
            break;
        case PlatformInfo::Kind::macos: return fmt::format("built for macOS ({}), target is {}", p, target_desc);
        case PlatformInfo::Kind::windows: return fmt::format("built for Windows ({}), target is {}", p, target_desc);
        default: break;
    }
    return fmt::format("platform {} is not supported by the target ({})", p, target_desc);
}

auto Target::python_reason(const Tag& tag) const -> std::string {
    std::string_view interpreter = tag.interpreter;
    auto target_python = fmt::format("{} {}", m_implementation == "cp" ? "CPython" : "Python", m_python.to_string());
    if (starts_with(interpreter, "cp")) {
        auto version = version_of_interpreter(interpreter.substr(2));
        if (!version.empty()) {
            if (starts_with(tag.abi, "cp")) {
                auto target_abi = m_abis.empty() ? "cp" + m_python.nodot() : m_abis.front();
                return fmt::format("needs CPython {} ABI {}, target is {}", version, tag.abi, target_abi);
            }
            if (tag.abi == "abi3") {
                return fmt::format("needs CPython >= {} ({}-abi3), target is {}", version, interpreter, target_python);
            }
            return fmt::format("needs CPython {} ({}), target is {}", version, interpreter, target_python);
        }
    }
    if (starts_with(interpreter, "py")) {
        auto version = version_of_interpreter(interpreter.substr(2));
        if (!version.empty()) {
            return fmt::format("needs Python {} ({}), target is {}", version, interpreter, target_python);
        }
    }
    if (starts_with(interpreter, "pp")) {
        return fmt::format("built for PyPy ({}), target is {}", interpreter, target_python);
    }
    return fmt::format("built for interpreter {}, target is {}", interpreter, target_python);
}

auto Target::rank(const TagSet& tags) const -> Compatibility {
    Compatibility result;
    if (tags.size() == 0) {
        result.part = Mismatch::platform;
        result.reason = "the wheel has no tags";
        return result;
    }
    std::optional<std::size_t> best;
    for (const auto& interpreter : tags.interpreters()) {
        for (const auto& abi : tags.abis()) {
            for (const auto& platform : tags.platforms()) {
                Tag tag{interpreter, abi, platform};
                auto it = m_priority.find(tag);
                if (it != m_priority.end() && (!best || it->second < *best)) best = it->second;
            }
        }
    }
    if (best) {
        result.compatible = true;
        result.priority = *best;
        result.tag = m_tags[*best];
        return result;
    }

    // Which part fails: platform when no platform fits; else python when no interpreter fits
    // on a fitting platform; else the ABI (or the combination).
    std::vector<std::string> platforms_ok;
    for (const auto& platform : tags.platforms()) {
        if (m_platform_set.count(platform) != 0) platforms_ok.push_back(platform);
    }
    if (platforms_ok.empty()) {
        result.part = Mismatch::platform;
        result.reason = platform_reason(tags, result.tag);
        return result;
    }
    std::vector<std::string> interpreters_ok;
    for (const auto& interpreter : tags.interpreters()) {
        if (m_interpreter_set.count(interpreter) != 0) interpreters_ok.push_back(interpreter);
    }
    if (interpreters_ok.empty()) {
        // Prefer a CPython interpreter tag for the explanation: it says which version is needed.
        const std::string* chosen = &tags.interpreters().front();
        for (const auto& interpreter : tags.interpreters()) {
            if (starts_with(interpreter, "cp")) {
                chosen = &interpreter;
                break;
            }
        }
        result.part = Mismatch::python;
        result.tag = Tag{*chosen, tags.abis().front(), platforms_ok.front()};
        result.reason = python_reason(result.tag);
        return result;
    }
    result.part = Mismatch::abi;
    const std::string* bad_abi = nullptr;
    for (const auto& abi : tags.abis()) {
        if (m_abi_set.count(abi) == 0) {
            bad_abi = &abi;
            break;
        }
    }
    auto supported = m_abis;
    for (const char* extra : {"abi3", "none"}) {
        if (m_abi_set.count(extra) != 0 && std::find(supported.begin(), supported.end(), extra) == supported.end()) {
            supported.emplace_back(extra);
        }
    }
    if (bad_abi != nullptr && tags.abis().size() == 1) {
        result.tag = Tag{interpreters_ok.front(), *bad_abi, platforms_ok.front()};
        std::string_view abi = *bad_abi;
        std::string what;
        if (starts_with(abi, "cp") && abi.size() > 2) {
            std::size_t i = 2;
            while (i < abi.size() && util::is_ascii_digit(abi[i])) ++i;
            auto flags = abi.substr(i);
            if (flags.find('t') != std::string_view::npos)
                what = " (free-threaded build)";
            else if (flags.find('d') != std::string_view::npos)
                what = " (debug build)";
            else if (i > 2 && abi.substr(2, i - 2) != m_python.nodot()) {
                what = fmt::format(" (CPython {})", version_of_interpreter(abi.substr(2, i - 2)));
            }
        }
        result.reason = fmt::format("needs ABI {}{}, target supports {}", abi, what, util::join(supported, ", "));
        return result;
    }
    result.tag = Tag{interpreters_ok.front(), tags.abis().front(), platforms_ok.front()};
    result.reason = fmt::format("no tag of {} is supported by the target (ABIs {} with interpreter {})",
                                tags.to_string(), util::join(supported, ", "), m_implementation + m_python.nodot());
    return result;
}

auto Target::marker_environment() const -> MarkerEnvironment {
    MarkerEnvironment env;
    bool cpython = m_implementation == "cp";
    env["implementation_name"] = cpython ? "cpython" : (m_implementation == "pp" ? "pypy" : m_implementation);
    env["implementation_version"] = m_python.full_version();
    env["platform_python_implementation"] = cpython ? "CPython" : (m_implementation == "pp" ? "PyPy" : "");
    env["python_version"] = m_python.to_string();
    env["python_full_version"] = m_python.full_version();
    // The kernel of the machine MWAA runs on is not known in advance.
    env["platform_release"] = "";
    env["platform_version"] = "";
    if (m_system == "Linux") {
        env["os_name"] = "posix";
        env["sys_platform"] = "linux";
        env["platform_system"] = "Linux";
        env["platform_machine"] = m_arch;
    } else if (m_system == "macOS") {
        env["os_name"] = "posix";
        env["sys_platform"] = "darwin";
        env["platform_system"] = "Darwin";
        env["platform_machine"] = m_arch;
    } else if (m_system == "Windows") {
        env["os_name"] = "nt";
        env["sys_platform"] = "win32";
        env["platform_system"] = "Windows";
        env["platform_machine"] = m_arch == "amd64" ? "AMD64" : (m_arch == "arm64" ? "ARM64" : m_arch);
    } else {
        env["os_name"] = "";
        env["sys_platform"] = "";
        env["platform_system"] = "";
        env["platform_machine"] = "";
    }
    return env;
}

auto Target::describe() const -> std::string {
    std::string python = m_implementation == "cp"
                             ? fmt::format("CPython {} ({})", m_python.to_string(), util::join(m_abis, ", "))
                             : fmt::format("{} {}", m_implementation, m_python.to_string());
    std::string platforms;
    if (m_glibc && !m_arch.empty()) {
        platforms = fmt::format("manylinux_{}_{}_{} and older", m_glibc->first, m_glibc->second, m_arch);
    } else {
        platforms = util::join(m_platforms, ", ");
    }
    return fmt::format("{}, {}, {} tags", python, platforms, m_tags.size());
}

}  // namespace wheelhouse::tags
