// PEP 440 version specifiers (~= == != <= >= < > ===, wildcards) and specifier sets with prerelease rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::pep440 {

enum class Operator { compatible, equal, not_equal, less_equal, greater_equal, less, greater, arbitrary };

auto to_string(Operator op) -> std::string_view;

class Specifier {
public:
    // One clause such as ">=1.0", "== 1.2.*", "===foo". Whitespace around is allowed.
    static auto parse(std::string_view text) -> Expected<Specifier>;

    [[nodiscard]] auto op() const -> Operator { return m_op; }
    // The version text as written after the operator (normalised spacing), e.g. "1.2.*".
    [[nodiscard]] auto version_text() const -> const std::string& { return m_version_text; }
    [[nodiscard]] auto to_string() const -> std::string;  // e.g. ">=1.0"

    // True when this clause itself names a prerelease (e.g. ">=1.0a1"), which opts into prereleases.
    [[nodiscard]] auto mentions_prerelease() const -> bool;

    // Whether the version matches this clause, ignoring the prerelease policy (pure comparison).
    [[nodiscard]] auto matches(const Version& version) const -> bool;
    // For '===': string comparison against the raw text of a candidate.
    [[nodiscard]] auto matches_text(std::string_view candidate) const -> bool;

    // contains() with packaging's default policy: prereleases are rejected unless `prereleases`
    // is true, or unset and the clause mentions a prerelease.
    [[nodiscard]] auto contains(const Version& version, std::optional<bool> prereleases = std::nullopt) const -> bool;

    friend auto operator==(const Specifier& a, const Specifier& b) -> bool;

private:
    Operator m_op = Operator::greater_equal;
    std::string m_version_text;
    std::optional<Version> m_version;  // absent only for '===' with a non-PEP 440 string
    bool m_wildcard = false;
};

class SpecifierSet {
public:
    // Comma-separated clauses, possibly empty ("" matches everything).
    static auto parse(std::string_view text) -> Expected<SpecifierSet>;

    SpecifierSet() = default;
    explicit SpecifierSet(std::vector<Specifier> specs) : m_specs(std::move(specs)) {}

    [[nodiscard]] auto specifiers() const -> const std::vector<Specifier>& { return m_specs; }
    [[nodiscard]] auto empty() const -> bool { return m_specs.empty(); }
    // Clauses sorted by their string, joined with ',' (as packaging's str(SpecifierSet)).
    [[nodiscard]] auto to_string() const -> std::string;

    // True when any clause mentions a prerelease.
    [[nodiscard]] auto mentions_prerelease() const -> bool;

    // packaging's SpecifierSet.contains(version, prereleases=...).
    [[nodiscard]] auto contains(const Version& version, std::optional<bool> prereleases = std::nullopt) const -> bool;

    // packaging's SpecifierSet.filter(): keeps matching versions; prereleases only if allowed, or if
    // no final release matches and prereleases is unset (the "only match" rule). Keeps input order.
    [[nodiscard]] auto filter(const std::vector<Version>& versions, std::optional<bool> prereleases = std::nullopt) const
        -> std::vector<Version>;

    // Intersection (all clauses of both).
    void add(const SpecifierSet& other);

private:
    std::vector<Specifier> m_specs;
};

}  // namespace wheelhouse::pep440
