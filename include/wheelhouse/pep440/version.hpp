// PEP 440 versions: parse (every accepted spelling), normalise, and order, as pypa/packaging does.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::pep440 {

enum class PreKind { alpha, beta, rc };  // normalised letters: a, b, rc

struct Pre {
    PreKind kind = PreKind::alpha;
    std::uint64_t number = 0;
    auto operator<=>(const Pre&) const = default;
};

// One segment of a local version label: numbers sort after strings and compare numerically.
using LocalPart = std::variant<std::uint64_t, std::string>;

class Version {
public:
    // Accepts what packaging.version.Version accepts (case-insensitive, leading 'v', surrounding
    // whitespace, '-', '_', '.' separators, implicit numbers); the error carries the column.
    static auto parse(std::string_view text) -> Expected<Version>;

    // Normalised form, e.g. "1!2.0rc1.post2.dev3+ubuntu.1".
    [[nodiscard]] auto to_string() const -> std::string;
    // Without the local label.
    [[nodiscard]] auto public_version() const -> std::string;
    // Epoch and release only, e.g. "1!2.0".
    [[nodiscard]] auto base_version() const -> std::string;

    [[nodiscard]] auto epoch() const -> std::uint64_t { return m_epoch; }
    [[nodiscard]] auto release() const -> const std::vector<std::uint64_t>& { return m_release; }
    [[nodiscard]] auto pre() const -> const std::optional<Pre>& { return m_pre; }
    [[nodiscard]] auto post() const -> const std::optional<std::uint64_t>& { return m_post; }
    [[nodiscard]] auto dev() const -> const std::optional<std::uint64_t>& { return m_dev; }
    [[nodiscard]] auto local() const -> const std::vector<LocalPart>& { return m_local; }

    [[nodiscard]] auto is_prerelease() const -> bool { return m_pre.has_value() || m_dev.has_value(); }
    [[nodiscard]] auto is_postrelease() const -> bool { return m_post.has_value(); }
    [[nodiscard]] auto is_devrelease() const -> bool { return m_dev.has_value(); }
    [[nodiscard]] auto has_local() const -> bool { return !m_local.empty(); }

    // The same version with the local label removed.
    [[nodiscard]] auto without_local() const -> Version;

    // Three-way comparison (-1, 0, 1) without allocating; with ignore_local the local labels are skipped,
    // which is how specifiers compare a candidate against a public version.
    static auto compare(const Version& a, const Version& b, bool ignore_local = false) -> int;

    // Total order of PEP 440 (trailing zeros in the release ignored; dev < pre < final < post; local last).
    friend auto operator<=>(const Version& a, const Version& b) -> std::strong_ordering;
    friend auto operator==(const Version& a, const Version& b) -> bool;

    Version() = default;
    Version(std::uint64_t epoch, std::vector<std::uint64_t> release, std::optional<Pre> pre = {},
            std::optional<std::uint64_t> post = {}, std::optional<std::uint64_t> dev = {},
            std::vector<LocalPart> local = {});

private:
    std::uint64_t m_epoch = 0;
    std::vector<std::uint64_t> m_release{0};
    std::optional<Pre> m_pre;
    std::optional<std::uint64_t> m_post;
    std::optional<std::uint64_t> m_dev;
    std::vector<LocalPart> m_local;
};

}  // namespace wheelhouse::pep440
