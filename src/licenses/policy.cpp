// Allow/deny policies over declared licences, from flags or a [tool.wheelhouse.licenses] table.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include <toml++/toml.h>

#include "wheelhouse/licenses/licenses.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::licenses {
namespace {

auto canonical_policy_id(std::string_view text) -> std::optional<std::string> {
    auto parsed = Expression::parse(text);
    if (!parsed || parsed->kind() != Expression::Kind::term) return std::nullopt;
    return parsed->to_string();
}

auto in(const std::vector<std::string>& list, const std::string& value) -> bool {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// The ids a policy entry can name for one term: "GPL-2.0-only WITH Classpath-exception-2.0", then the licence alone.
auto names_of(const Term& term) -> std::vector<std::string> {
    std::vector<std::string> out{term.to_string()};
    Term bare = term;
    bare.exception.reset();
    if (bare.to_string() != out.front()) out.push_back(bare.to_string());
    if (term.or_later) out.push_back(term.license);
    return out;
}

auto matches(const std::vector<std::string>& list, const Term& term) -> bool {
    auto names = names_of(term);
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return in(list, n); });
}

auto acceptable(const Expression& e, const std::function<bool(const Term&)>& ok) -> bool {
    switch (e.kind()) {
        case Expression::Kind::term: return ok(e.term());
        case Expression::Kind::all_of:
            return std::all_of(e.operands().begin(), e.operands().end(),
                               [&](const Expression& o) { return acceptable(o, ok); });
        case Expression::Kind::any_of:
            return std::any_of(e.operands().begin(), e.operands().end(),
                               [&](const Expression& o) { return acceptable(o, ok); });
    }
    return false;
}

}  // namespace

auto parse_policy_ids(std::string_view list, std::string_view option) -> Expected<std::vector<std::string>> {
    std::vector<std::string> out;
    for (auto part : util::split(list, ',')) {
        auto text = util::trim(part);
        if (text.empty()) continue;
        auto id = canonical_policy_id(text);
        if (!id) {
            auto e = make_error(ErrorCode::usage,
                                fmt::format("{}: '{}' is not an SPDX license id (list {})", option,
                                            util::elide(text, 100), spdx_list_version()),
                                {}, "use ids as spdx.org/licenses spells them, e.g. MIT,Apache-2.0,GPL-3.0-only");
            return e;
        }
        if (!in(out, *id)) out.push_back(*id);
    }
    return out;
}

auto parse_policy_file(std::string_view text, std::string_view file) -> Expected<Policy> {
    toml::table doc;
    try {
        doc = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        return make_error(ErrorCode::invalid_input, fmt::format("not a TOML file: {}", e.description()),
                          Location{std::string(file), static_cast<int>(begin.line), static_cast<int>(begin.column)},
                          "the policy file is TOML with a [tool.wheelhouse.licenses] table");
    }
    const auto* table = doc["tool"]["wheelhouse"]["licenses"].as_table();
    if (table == nullptr) {
        return make_error(ErrorCode::invalid_input, "no [tool.wheelhouse.licenses] table", Location{std::string(file)},
                          "add e.g.\n[tool.wheelhouse.licenses]\nallow = [\"MIT\", \"Apache-2.0\"]");
    }
    Policy policy;
    for (const auto& [key, field] : {std::pair{"allow", &policy.allow}, std::pair{"deny", &policy.deny}}) {
        const auto* node = table->get(key);
        if (node == nullptr) continue;
        const auto line = static_cast<int>(node->source().begin.line);
        const auto* array = node->as_array();
        if (array == nullptr) {
            return make_error(ErrorCode::invalid_input, fmt::format("'{}' must be an array of SPDX ids", key),
                              Location{std::string(file), line}, fmt::format("{} = [\"MIT\", \"Apache-2.0\"]", key));
        }
        for (const auto& item : *array) {
            const auto* value = item.as_string();
            auto id = value != nullptr ? canonical_policy_id(value->get()) : std::nullopt;
            if (!id) {
                auto e = make_error(ErrorCode::invalid_input,
                                    fmt::format("'{}' holds something that is not an SPDX license id (list {})", key,
                                                spdx_list_version()),
                                    Location{std::string(file), static_cast<int>(item.source().begin.line),
                                             static_cast<int>(item.source().begin.column)},
                                    "use ids as spdx.org/licenses spells them, e.g. \"GPL-3.0-only\"");
                if (value != nullptr) e.error.context = util::elide(value->get(), 100);
                return e;
            }
            if (!in(*field, *id)) field->push_back(*id);
        }
    }
    if (policy.empty()) {
        return make_error(ErrorCode::invalid_input, "[tool.wheelhouse.licenses] has neither 'allow' nor 'deny'",
                          Location{std::string(file)}, "allow = [\"MIT\", ...] and/or deny = [\"GPL-3.0-only\", ...]");
    }
    return policy;
}

auto evaluate(const Policy& policy, const Declared& license) -> Verdict {
    if (policy.empty()) return {};
    if (!license.expression) {
        if (policy.allow.empty()) return {};
        return {false,
                license.name.empty()
                    ? std::string("the licence is unknown, so the allow list cannot admit it")
                    : fmt::format("'{}' is not an SPDX expression, so the allow list cannot admit it", license.name)};
    }
    auto ok = [&](const Term& t) {
        if (matches(policy.deny, t)) return false;
        return policy.allow.empty() || matches(policy.allow, t);
    };
    if (acceptable(*license.expression, ok)) return {};
    std::set<std::string> denied;
    std::set<std::string> unlisted;
    for (const auto& t : license.expression->terms()) {
        if (matches(policy.deny, t)) {
            denied.insert(t.to_string());
        } else if (!policy.allow.empty() && !matches(policy.allow, t)) {
            unlisted.insert(t.to_string());
        }
    }
    std::vector<std::string> parts;
    if (!denied.empty()) {
        parts.push_back(fmt::format("denied: {}", util::join({denied.begin(), denied.end()}, ", ")));
    }
    if (!unlisted.empty()) {
        parts.push_back(fmt::format("not in the allow list: {}", util::join({unlisted.begin(), unlisted.end()}, ", ")));
    }
    return {false, util::join(parts, "; ")};
}

}  // namespace wheelhouse::licenses
