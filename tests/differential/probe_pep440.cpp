// Differential probe for pep440: reads one JSON query per line on stdin, writes one JSON answer per
// line (flushed), so that test_pep440.py can compare thousands of inputs with pip's packaging.
//
// Queries:
//   {"q":"version","s":TEXT}                 -> {"ok":true,"str":..,"public":..,"base":..,"epoch":..,
//                                                "pre":bool,"post":bool,"dev":bool,"local":bool} | {"ok":false}
//   {"q":"cmp","a":TEXT,"b":TEXT}            -> {"r":-1|0|1}               (both must be valid versions)
//   {"q":"spec","s":TEXT}                    -> {"ok":true,"str":..,"n":count} | {"ok":false}
//   {"q":"contains","spec":TEXT,"v":TEXT,"pre":null|true|false} -> {"r":bool} (v parsed as a Version)
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep440/version.hpp"

namespace {

using nlohmann::json;
using wheelhouse::pep440::SpecifierSet;
using wheelhouse::pep440::Version;

auto answer(const json& query) -> json {
    const auto kind = query.at("q").get<std::string>();
    if (kind == "version") {
        auto v = Version::parse(query.at("s").get<std::string>());
        if (!v) return json{{"ok", false}};
        return json{{"ok", true},
                    {"str", v->to_string()},
                    {"public", v->public_version()},
                    {"base", v->base_version()},
                    {"epoch", v->epoch()},
                    {"pre", v->is_prerelease()},
                    {"post", v->is_postrelease()},
                    {"dev", v->is_devrelease()},
                    {"local", v->has_local()}};
    }
    if (kind == "cmp") {
        auto a = Version::parse(query.at("a").get<std::string>());
        auto b = Version::parse(query.at("b").get<std::string>());
        if (!a || !b) return json{{"error", "invalid version"}};
        return json{{"r", Version::compare(*a, *b)}};
    }
    if (kind == "spec") {
        auto s = SpecifierSet::parse(query.at("s").get<std::string>());
        if (!s) return json{{"ok", false}};
        return json{{"ok", true}, {"str", s->to_string()}, {"n", s->specifiers().size()}};
    }
    if (kind == "contains") {
        auto s = SpecifierSet::parse(query.at("spec").get<std::string>());
        auto v = Version::parse(query.at("v").get<std::string>());
        if (!s || !v) return json{{"error", "invalid input"}};
        std::optional<bool> pre;
        if (!query.at("pre").is_null()) pre = query.at("pre").get<bool>();
        return json{{"r", s->contains(*v, pre)}};
    }
    return json{{"error", "unknown query"}};
}

}  // namespace

auto main() -> int {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        json out;
        try {
            out = answer(json::parse(line));
        } catch (const std::exception& e) {
            out = json{{"error", e.what()}};
        }
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
    }
    return 0;
}
