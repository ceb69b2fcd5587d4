// Install targets: the tags an interpreter on the target accepts (as packaging's sys_tags / pip's
// get_supported generate them), and ranking of a wheel's tags with a reason when rejected.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/tags/tag.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::tags {

struct PythonVersion {
    unsigned major = 3;
    unsigned minor = 0;
    std::optional<unsigned> micro;

    // pip's --python-version spellings: "3.11", "311" (first digit is the major), "3.11.4".
    static auto parse(std::string_view text) -> Expected<PythonVersion>;

    [[nodiscard]] auto nodot() const -> std::string;         // "311"
    [[nodiscard]] auto to_string() const -> std::string;     // "3.11"
    [[nodiscard]] auto full_version() const -> std::string;  // "3.11.4"; micro 0 when unknown
    auto operator==(const PythonVersion&) const -> bool = default;
};

// "CPython" -> "cp", "PyPy" -> "pp", "IronPython" -> "ip", "Jython" -> "jy", "Python" -> "py"
// (case-insensitive); any other name is returned lower-cased, so "cp" stays "cp".
auto implementation_short_name(std::string_view name) -> std::string;

// ---- platform tags ---------------------------------------------------------------------------

// What a platform tag says about where a wheel runs.
struct PlatformInfo {
    enum class Kind { any, manylinux, musllinux, linux, macos, windows, other };
    Kind kind = Kind::other;
    std::string arch;         // "x86_64", "aarch64", ... (empty when unknown)
    unsigned libc_major = 0;  // glibc (manylinux) or musl (musllinux) version
    unsigned libc_minor = 0;
};
auto describe_platform(std::string_view platform) -> PlatformInfo;

// The manylinux tags a glibc <major>.<minor> system of that architecture accepts, newest first,
// with the legacy aliases (manylinux2014 = 2_17, manylinux2010 = 2_12, manylinux1 = 2_5) right
// after their PEP 600 equivalent, as packaging orders them. x86_64/i686 go down to 2_5, other
// architectures to 2_17.
auto manylinux_platforms(std::string_view arch, unsigned glibc_major, unsigned glibc_minor) -> std::vector<std::string>;
// manylinux_platforms followed by "linux_<arch>": the platform list of a native CPython on glibc Linux.
auto linux_platforms(std::string_view arch, unsigned glibc_major, unsigned glibc_minor) -> std::vector<std::string>;

// ---- tag generation (same order as pypa/packaging) -------------------------------------------

// cp<ver>-<abi>-<plat> for each given ABI (abi3 and none are moved to their usual place),
// cp<ver>-abi3-<plat>, cp<ver>-none-<plat>, then cp<older>-abi3-<plat> down to cp32.
auto cpython_tags(const PythonVersion& python, std::vector<std::string> abis, const std::vector<std::string>& platforms)
    -> std::vector<Tag>;
// <interpreter>-<abi>-<plat> for each ABI, then <interpreter>-none-<plat> unless "none" was given.
auto generic_tags(std::string_view interpreter, const std::vector<std::string>& abis,
                  const std::vector<std::string>& platforms) -> std::vector<Tag>;
// py<ver>, py<major>, py<older>... with none and each platform; then <interpreter>-none-any if
// given; then the py* list with none-any.
auto compatible_tags(const PythonVersion& python, std::optional<std::string_view> interpreter,
                     const std::vector<std::string>& platforms) -> std::vector<Tag>;

// ---- compatibility ---------------------------------------------------------------------------

enum class Mismatch { none, python, abi, platform };
auto to_string(Mismatch part) -> const char*;

struct Compatibility {
    bool compatible = false;
    std::size_t priority = 0;  // index in the target's tag list of the best matching tag; lower is better
    Tag tag;                   // the best matching tag, or the one the reason is about
    Mismatch part = Mismatch::none;
    std::string reason;  // empty when compatible
};

enum class PlatformExpansion { native, pip, exact };

// Options as pip spells them (--implementation, --python-version, --platform, --abi).
struct TargetOptions {
    std::string implementation = "cp";   // "cp" or "py" (also "pp", ... passed through as pip does)
    std::string python_version;          // required
    std::vector<std::string> platforms;  // may repeat; empty: "any" only
    std::vector<std::string> abis;       // may repeat; empty: cp<ver> for CPython, none otherwise
    // native (default), unlike pip: a manylinux platform given alone stands for every older
    // manylinux level of that architecture plus linux_<arch>, the list a native interpreter on
    // that glibc accepts. pip: the platforms given, plus manylinux2010/manylinux1 after an x86
    // manylinux2014 and manylinux1 after manylinux2010, as pip does (pip's expansion of macOS
    // versions is not reproduced). exact: the platforms given, nothing more.
    PlatformExpansion expansion = PlatformExpansion::native;
};

// The marker environment (PEP 508) of a target; the same type as pep508::Environment.
using MarkerEnvironment = std::map<std::string, std::string, std::less<>>;

class Target {
public:
    static auto from_options(const TargetOptions& options, std::string name = "custom") -> Expected<Target>;

    [[nodiscard]] auto name() const -> const std::string& { return m_name; }
    [[nodiscard]] auto implementation() const -> const std::string& { return m_implementation; }
    [[nodiscard]] auto python() const -> const PythonVersion& { return m_python; }
    [[nodiscard]] auto abis() const -> const std::vector<std::string>& { return m_abis; }
    [[nodiscard]] auto platforms() const -> const std::vector<std::string>& { return m_platforms; }
    // Supported tags, most preferred first (pip's get_supported order, duplicates removed).
    [[nodiscard]] auto tags() const -> const std::vector<Tag>& { return m_tags; }
    // The CPU architecture and glibc of the first Linux platform, when there is one.
    [[nodiscard]] auto arch() const -> const std::string& { return m_arch; }
    [[nodiscard]] auto glibc() const -> std::optional<std::pair<unsigned, unsigned>> { return m_glibc; }

    [[nodiscard]] auto priority(const Tag& tag) const -> std::optional<std::size_t>;
    [[nodiscard]] auto rank(const TagSet& tags) const -> Compatibility;
    [[nodiscard]] auto rank(const WheelFilename& wheel) const -> Compatibility { return rank(wheel.tags()); }

    [[nodiscard]] auto marker_environment() const -> MarkerEnvironment;
    // One line, e.g. "CPython 3.11 (cp311), manylinux_2_34_x86_64 and older, 864 tags".
    [[nodiscard]] auto describe() const -> std::string;

private:
    [[nodiscard]] auto platform_reason(const TagSet& tags, Tag& about) const -> std::string;
    [[nodiscard]] auto python_reason(const Tag& tag) const -> std::string;

    std::string m_name;
    std::string m_implementation;
    PythonVersion m_python;
    std::vector<std::string> m_abis;
    std::vector<std::string> m_platforms;
    std::vector<Tag> m_tags;
    std::unordered_map<Tag, std::size_t, TagHash> m_priority;
    std::unordered_set<std::string> m_interpreter_set;
    std::unordered_set<std::string> m_abi_set;
    std::unordered_set<std::string> m_platform_set;
    std::string m_arch;
    std::optional<std::pair<unsigned, unsigned>> m_glibc;
    std::string m_system;  // "Linux", "Darwin", "Windows" or ""
};

}  // namespace wheelhouse::tags
