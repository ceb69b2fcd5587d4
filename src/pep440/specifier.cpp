#include "wheelhouse/pep440/specifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "text.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::pep440 {

namespace {

struct OperatorSpelling {
    std::string_view text;
    Operator op;
};

// Longest spellings first so that "===" is not read as "==" and "<=" not as "<".
constexpr std::array<OperatorSpelling, 8> k_operators{{
    {"===", Operator::arbitrary},
    {"~=", Operator::compatible},
    {"==", Operator::equal},
    {"!=", Operator::not_equal},
    {"<=", Operator::less_equal},
    {">=", Operator::greater_equal},
    {"<", Operator::less},
    {">", Operator::greater},
}};

auto invalid(std::string_view text, std::size_t column, std::string message) -> Unexpected<Error> {
    auto error = make_error(ErrorCode::invalid_input, std::move(message), Location{{}, 0, static_cast<int>(column)},
                            "specifiers look like >=1.0, ==1.2.*, ~=2.1, !=1.5 (PEP 440)");
    error.error.context = std::string(text);
    return error;
}

// packaging's canonicalize_version(): the normalised form with trailing ".0"s of the release dropped.
auto canonical_text(const Version& v, bool strip_trailing_zeros) -> std::string {
    std::vector<std::uint64_t> release = v.release();
    if (strip_trailing_zeros) {
        while (release.size() > 1 && release.back() == 0) release.pop_back();
    }
    Version copy(v.epoch(), std::move(release), v.pre(), v.post(), v.dev(), v.local());
    return copy.to_string();
}

auto same_release_prefix(const Version& candidate, const std::vector<std::uint64_t>& prefix) -> bool {
    const auto& release = candidate.release();
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const auto value = i < release.size() ? release[i] : 0;  // the candidate is padded with zeros
        if (value != prefix[i]) return false;
    }
    return true;
}

// One candidate of a filter: the text as given, and its parse when it is a PEP 440 version.
struct Candidate {
    const Version* parsed = nullptr;
    std::string_view raw;
    bool has_raw = false;
};

// packaging's filter policy: true keeps matching prereleases, false drops them, unset keeps them
// only when no final release matched. Text that is not a version counts as final but does not
// count as "a final release matched".
template <class Item, class Match>
auto filter_items(const std::vector<Item>& items, const std::vector<Candidate>& candidates,
                  std::optional<bool> prereleases, Match&& match) -> std::vector<Item> {
    std::vector<bool> matched(items.size(), false);
    bool final_matched = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
        matched[i] = match(candidates[i]);
        if (matched[i] && candidates[i].parsed && !candidates[i].parsed->is_prerelease()) final_matched = true;
    }
    const bool keep_pre = prereleases.value_or(!final_matched);
    std::vector<Item> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!matched[i]) continue;
        if (!keep_pre && candidates[i].parsed && candidates[i].parsed->is_prerelease()) continue;
        out.push_back(items[i]);
    }
    return out;
}

auto version_candidates(const std::vector<Version>& versions) -> std::vector<Candidate> {
    std::vector<Candidate> out;
    out.reserve(versions.size());
    for (const auto& v : versions) out.push_back(Candidate{&v, {}, false});
    return out;
}

auto text_candidates(const std::vector<std::string>& texts, std::vector<std::optional<Version>>& storage)
    -> std::vector<Candidate> {
    storage.clear();
    storage.reserve(texts.size());
    std::vector<Candidate> out;
    out.reserve(texts.size());
    for (const auto& t : texts) {
        auto parsed = Version::parse(t);
        storage.push_back(parsed ? std::optional<Version>(std::move(*parsed)) : std::nullopt);
        out.push_back(Candidate{storage.back() ? &*storage.back() : nullptr, t, true});
    }
    return out;
}

}  // namespace

auto to_string(Operator op) -> std::string_view {
    for (const auto& spelling : k_operators) {
        if (spelling.op == op) return spelling.text;
    }
    return "";
}

auto Specifier::parse(std::string_view text) -> Expected<Specifier> {
    std::size_t offset = 0;
    const auto body = trim_python_space(text, offset);
    Specifier spec;
    std::size_t op_length = 0;
    for (const auto& spelling : k_operators) {
        if (body.substr(0, spelling.text.size()) == spelling.text) {
            spec.m_op = spelling.op;
            op_length = spelling.text.size();
            break;
        }
    }
    if (op_length == 0) {
        return invalid(text, offset + 1, "invalid specifier: expected one of ~= == != <= >= < > ===");
    }
    std::size_t version_offset = 0;
    auto version_text = trim_python_space(body.substr(op_length), version_offset);
    version_offset += offset + op_length;
    spec.m_version_text = std::string(version_text);

    for (std::size_t i = 0; i < version_text.size(); ++i) {
        if (is_python_space_at(version_text, i) != 0) {
            return invalid(text, version_offset + i + 1, "invalid specifier: whitespace inside the version");
        }
    }

    if (spec.m_op == Operator::arbitrary) {
        // '===' takes any string without whitespace, ';' or ')' (those end a requirement).
        auto bad = version_text.find_first_of(";)");
        if (bad != std::string_view::npos) {
            return invalid(text, version_offset + bad + 1, "invalid specifier: ';' or ')' in an arbitrary version");
        }
        if (auto v = Version::parse(version_text)) spec.m_version = std::move(*v);
        return spec;
    }

    if (version_text.empty()) return invalid(text, version_offset + 1, "invalid specifier: missing version");

    const bool equality = spec.m_op == Operator::equal || spec.m_op == Operator::not_equal;
    if (version_text.size() >= 2 && version_text.substr(version_text.size() - 2) == ".*") {
        if (!equality) {
            return invalid(text, version_offset + version_text.size() - 1,
                           fmt::format("invalid specifier: '.*' is only allowed with == and !=, not {}",
                                       pep440::to_string(spec.m_op)));
        }
        auto prefix = Version::parse(version_text.substr(0, version_text.size() - 2));
        if (!prefix) {
            return invalid(text, version_offset + static_cast<std::size_t>(prefix.error().location.column),
                           "invalid specifier: " + prefix.error().message);
        }
        if (prefix->pre() || prefix->post() || prefix->dev() || prefix->has_local()) {
            return invalid(text, version_offset + version_text.size() - 1,
                           "invalid specifier: '.*' must follow a plain release such as 1.2.*");
        }
        spec.m_wildcard = true;
        spec.m_version = std::move(*prefix);
        return spec;
    }

    auto version = Version::parse(version_text);
    if (!version) {
        return invalid(text, version_offset + static_cast<std::size_t>(version.error().location.column),
                       "invalid specifier: " + version.error().message);
    }
    if (version->has_local() && !equality) {
        return invalid(text, version_offset + version_text.find('+') + 1,
                       fmt::format("invalid specifier: a local version label is only allowed with == and !=, not {}",
                                   pep440::to_string(spec.m_op)));
    }
    if (spec.m_op == Operator::compatible && version->release().size() < 2) {
        return invalid(text, version_offset + 1, "invalid specifier: ~= needs at least two release numbers (~=1.0)");
    }
    spec.m_version = std::move(*version);
    return spec;
}

auto Specifier::to_string() const -> std::string {
    return fmt::format("{}{}", pep440::to_string(m_op), m_version_text);
}

auto Specifier::mentions_prerelease() const -> bool {
    if (m_op == Operator::not_equal || m_wildcard || !m_version) return false;
    return m_version->is_prerelease();
}

auto Specifier::matches(const Version& version) const -> bool {
    if (m_op == Operator::arbitrary) return util::iequals(version.to_string(), m_version_text);
    if (!m_version) return false;
    const Version& spec = *m_version;
    switch (m_op) {
        case Operator::equal:
        case Operator::not_equal: {
            bool equal = false;
            if (m_wildcard) {
                equal = version.epoch() == spec.epoch() && same_release_prefix(version, spec.release());
            } else {
                // A specifier without a local label ignores the candidate's one.
                equal = Version::compare(version, spec, !spec.has_local()) == 0;
            }
            return (m_op == Operator::equal) == equal;
        }
        case Operator::less_equal: return Version::compare(version, spec, true) <= 0;
        case Operator::greater_equal: return Version::compare(version, spec, true) >= 0;
        case Operator::less: {
            if (Version::compare(version, spec) >= 0) return false;
            // <V excludes V's own prereleases unless V is one: they lie in [V.dev0, V).
            if (!spec.is_prerelease() && version.is_prerelease()) {
                const Version first_of_spec(spec.epoch(), spec.release(), spec.pre(), spec.post(), 0);
                if (Version::compare(version, first_of_spec) >= 0) return false;
            }
            return true;
        }
        case Operator::greater: {
            if (Version::compare(version, spec) <= 0) return false;
            // >V excludes post-releases of V itself unless V is one...
            if (!spec.is_postrelease() && !spec.dev() && version.is_postrelease()) {
                const Version stem(version.epoch(), version.release(), version.pre());
                if (Version::compare(stem, spec) == 0) return false;
            }
            // ... and local versions of V.
            if (version.has_local() && Version::compare(version, spec, true) == 0) return false;
            return true;
        }
        case Operator::compatible: {
            if (Version::compare(version, spec, true) < 0) return false;
            const auto& release = spec.release();
            const std::vector<std::uint64_t> prefix(release.begin(), release.end() - 1);
            return version.epoch() == spec.epoch() && same_release_prefix(version, prefix);
        }
        case Operator::arbitrary: break;
    }
    return false;
}

auto Specifier::matches_text(std::string_view candidate) const -> bool {
    return m_op == Operator::arbitrary && util::iequals(candidate, m_version_text);
}

auto Specifier::contains(const Version& version, std::optional<bool> prereleases) const -> bool {
    if (!prereleases.value_or(m_prereleases.value_or(true)) && version.is_prerelease()) return false;
    return matches(version);
}

auto Specifier::contains_text(std::string_view candidate, std::optional<bool> prereleases) const -> bool {
    auto parsed = Version::parse(candidate);
    if (parsed && !prereleases.value_or(m_prereleases.value_or(true)) && parsed->is_prerelease()) return false;
    if (m_op == Operator::arbitrary) return matches_text(candidate);
    return parsed && matches(*parsed);
}

auto Specifier::filter(const std::vector<Version>& versions, std::optional<bool> prereleases) const
    -> std::vector<Version> {
    if (!prereleases) prereleases = m_prereleases;
    if (!prereleases && mentions_prerelease()) prereleases = true;
    return filter_items(versions, version_candidates(versions), prereleases,
                        [&](const Candidate& c) { return matches(*c.parsed); });
}

auto Specifier::filter_text(const std::vector<std::string>& candidates, std::optional<bool> prereleases) const
    -> std::vector<std::string> {
    if (!prereleases) prereleases = m_prereleases;
    if (!prereleases && mentions_prerelease()) prereleases = true;
    std::vector<std::optional<Version>> storage;
    auto items = text_candidates(candidates, storage);
    return filter_items(candidates, items, prereleases, [&](const Candidate& c) {
        if (m_op == Operator::arbitrary) return matches_text(c.raw);
        return c.parsed != nullptr && matches(*c.parsed);
    });
}

auto operator==(const Specifier& a, const Specifier& b) -> bool {
    if (a.m_op != b.m_op) return false;
    // '===' is string equality, so "===1.0" and "===1.0.0" are different clauses (packaging 26).
    if (a.m_op == Operator::arbitrary) return util::iequals(a.m_version_text, b.m_version_text);
    auto canonical = [](const Specifier& s) {
        if (!s.m_version || s.m_wildcard) return s.m_version_text;
        return canonical_text(*s.m_version, s.m_op != Operator::compatible);
    };
    return canonical(a) == canonical(b);
}

SpecifierSet::SpecifierSet(std::vector<Specifier> specs) {
    for (auto& spec : specs) {
        if (std::find(m_specs.begin(), m_specs.end(), spec) == m_specs.end()) m_specs.push_back(std::move(spec));
    }
}

auto SpecifierSet::parse(std::string_view text) -> Expected<SpecifierSet> {
    SpecifierSet set;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::size_t offset = 0;
        auto clause = trim_python_space(text.substr(start, comma - start), offset);
        if (!clause.empty()) {
            auto spec = Specifier::parse(clause);
            if (!spec) {
                auto error = std::move(spec).error();
                error.location.column += static_cast<int>(start + offset);
                error.context = std::string(text);
                return unexpected(std::move(error));
            }
            if (std::find(set.m_specs.begin(), set.m_specs.end(), *spec) == set.m_specs.end()) {
                set.m_specs.push_back(std::move(*spec));
            }
        }
        start = comma + 1;
    }
    return set;
}

auto SpecifierSet::to_string() const -> std::string {
    std::vector<std::string> parts;
    parts.reserve(m_specs.size());
    for (const auto& spec : m_specs) parts.push_back(spec.to_string());
    std::sort(parts.begin(), parts.end());
    return util::join(parts, ",");
}

auto SpecifierSet::mentions_prerelease() const -> bool {
    return std::any_of(m_specs.begin(), m_specs.end(), [](const Specifier& s) { return s.mentions_prerelease(); });
}

auto SpecifierSet::contains(const Version& version, std::optional<bool> prereleases) const -> bool {
    if (!prereleases.value_or(m_prereleases.value_or(true)) && version.is_prerelease()) return false;
    return std::all_of(m_specs.begin(), m_specs.end(), [&](const Specifier& s) { return s.matches(version); });
}

auto SpecifierSet::contains_text(std::string_view candidate, std::optional<bool> prereleases) const -> bool {
    auto parsed = Version::parse(candidate);
    if (parsed && !prereleases.value_or(m_prereleases.value_or(true)) && parsed->is_prerelease()) return false;
    return std::all_of(m_specs.begin(), m_specs.end(), [&](const Specifier& s) {
        if (s.op() == Operator::arbitrary) return s.matches_text(candidate);
        return parsed && s.matches(*parsed);
    });
}

auto SpecifierSet::filter(const std::vector<Version>& versions, std::optional<bool> prereleases) const
    -> std::vector<Version> {
    if (!prereleases) prereleases = m_prereleases;
    if (!prereleases && mentions_prerelease()) prereleases = true;
    return filter_items(versions, version_candidates(versions), prereleases, [&](const Candidate& c) {
        return std::all_of(m_specs.begin(), m_specs.end(), [&](const Specifier& s) { return s.matches(*c.parsed); });
    });
}

auto SpecifierSet::filter_text(const std::vector<std::string>& candidates, std::optional<bool> prereleases) const
    -> std::vector<std::string> {
    if (!prereleases) prereleases = m_prereleases;
    if (!prereleases && mentions_prerelease()) prereleases = true;
    std::vector<std::optional<Version>> storage;
    auto items = text_candidates(candidates, storage);
    return filter_items(candidates, items, prereleases, [&](const Candidate& c) {
        return std::all_of(m_specs.begin(), m_specs.end(), [&](const Specifier& s) {
            if (s.op() == Operator::arbitrary) return s.matches_text(c.raw);
            return c.parsed != nullptr && s.matches(*c.parsed);
        });
    });
}

void SpecifierSet::add(const SpecifierSet& other) {
    for (const auto& spec : other.m_specs) {
        if (std::find(m_specs.begin(), m_specs.end(), spec) == m_specs.end()) m_specs.push_back(spec);
    }
    if (!m_prereleases) m_prereleases = other.m_prereleases;
}

auto operator==(const SpecifierSet& a, const SpecifierSet& b) -> bool {
    auto covers = [](const SpecifierSet& x, const SpecifierSet& y) {
        return std::all_of(x.m_specs.begin(), x.m_specs.end(), [&](const Specifier& s) {
            return std::find(y.m_specs.begin(), y.m_specs.end(), s) != y.m_specs.end();
        });
    };
    return covers(a, b) && covers(b, a);
}

}  // namespace wheelhouse::pep440
