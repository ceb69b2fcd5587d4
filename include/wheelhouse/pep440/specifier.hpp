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

    // contains() with packaging's policy (packaging >= 26, PEP 440): the argument decides if given,
    // else the configured policy (set_prereleases); when both are unset a prerelease is accepted like
    // any other version (PEP 440: a single version is tested for membership; only filter() applies
    // the "prereleases only when nothing else matches" rule). false rejects every prerelease.
    [[nodiscard]] auto contains(const Version& version, std::optional<bool> prereleases = std::nullopt) const -> bool;
    // The same for a candidate given as text: '===' compares this raw text; text that is not a PEP 440
    // version matches nothing but '==='.
    [[nodiscard]] auto contains_text(std::string_view candidate, std::optional<bool> prereleases = std::nullopt) const
        -> bool;

    // packaging's Specifier.filter(): keeps matching versions in input order; with no policy (argument,
    // configured, or a clause naming a prerelease) prereleases are kept only if no final release matches.
    [[nodiscard]] auto filter(const std::vector<Version>& versions,
                              std::optional<bool> prereleases = std::nullopt) const -> std::vector<Version>;
    // filter() over text candidates; text that is not a version can only match '===' and counts as final.
    [[nodiscard]] auto filter_text(const std::vector<std::string>& candidates,
                                   std::optional<bool> prereleases = std::nullopt) const -> std::vector<std::string>;

    // The configured prerelease policy (packaging's `prereleases=` constructor argument / setter).
    void set_prereleases(std::optional<bool> prereleases) { m_prereleases = prereleases; }
    [[nodiscard]] auto configured_prereleases() const -> std::optional<bool> { return m_prereleases; }

    // The parsed version (absent only for '===' with a non-PEP 440 string, or a wildcard: see version_prefix).
    [[nodiscard]] auto version() const -> const std::optional<Version>& { return m_version; }
    [[nodiscard]] auto is_wildcard() const -> bool { return m_wildcard; }

    // Equal when the operators are equal and the versions are equal after normalisation (trailing
    // release zeros dropped except for '~='), as packaging compares specifiers.
    friend auto operator==(const Specifier& a, const Specifier& b) -> bool;

private:
    Operator m_op = Operator::greater_equal;
    std::string m_version_text;
    std::optional<Version> m_version;  // for a wildcard, the release prefix (e.g. 1.2 for "==1.2.*")
    bool m_wildcard = false;
    std::optional<bool> m_prereleases;
};

class SpecifierSet {
public:
    // Comma-separated clauses, possibly empty ("" matches everything).
    static auto parse(std::string_view text) -> Expected<SpecifierSet>;

    SpecifierSet() = default;
    explicit SpecifierSet(std::vector<Specifier> specs);

    [[nodiscard]] auto specifiers() const -> const std::vector<Specifier>& { return m_specs; }
    [[nodiscard]] auto empty() const -> bool { return m_specs.empty(); }
    // Clauses sorted by their string, joined with ',' (as packaging's str(SpecifierSet)).
    [[nodiscard]] auto to_string() const -> std::string;

    // True when any clause mentions a prerelease.
    [[nodiscard]] auto mentions_prerelease() const -> bool;

    // packaging's SpecifierSet.contains(version, prereleases=...): the same policy as
    // Specifier::contains (argument, else configured, else prereleases accepted), then every clause.
    // pip's "installed" flag is contains(version, true).
    [[nodiscard]] auto contains(const Version& version, std::optional<bool> prereleases = std::nullopt) const -> bool;
    [[nodiscard]] auto contains_text(std::string_view candidate, std::optional<bool> prereleases = std::nullopt) const
        -> bool;

    // packaging's SpecifierSet.filter(): keeps matching versions; prereleases only if allowed, or if
    // no final release matches and prereleases is unset (the "only match" rule). Keeps input order.
    [[nodiscard]] auto filter(const std::vector<Version>& versions,
                              std::optional<bool> prereleases = std::nullopt) const -> std::vector<Version>;
    [[nodiscard]] auto filter_text(const std::vector<std::string>& candidates,
                                   std::optional<bool> prereleases = std::nullopt) const -> std::vector<std::string>;

    void set_prereleases(std::optional<bool> prereleases) { m_prereleases = prereleases; }
    [[nodiscard]] auto configured_prereleases() const -> std::optional<bool> { return m_prereleases; }

    // Intersection (all clauses of both; equal clauses are kept once).
    void add(const SpecifierSet& other);

    // Equal when both hold the same clauses (compared with Specifier's ==), in any order.
    friend auto operator==(const SpecifierSet& a, const SpecifierSet& b) -> bool;

private:
    std::vector<Specifier> m_specs;  // in the order written, duplicates (by ==) removed
    std::optional<bool> m_prereleases;
};

}  // namespace wheelhouse::pep440
