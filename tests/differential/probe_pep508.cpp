// Differential probe for pep508: reads one JSON query per line from stdin, answers one JSON line.
//   {"kind":"marker","text":"...","cases":[{"env":{...},"extras":["a"]}, ...]}
//     -> {"ok":true,"str":"...","results":[true,false,"error",...]} or {"ok":false,"column":N,"message":"..."}
//   {"kind":"requirement","text":"..."}
//     -> {"ok":true,"name":..,"extras":[..],"specifier":..,"url":..|null,"marker":..|null,"str":..} or {"ok":false,...}
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "wheelhouse/pep508/marker.hpp"
#include "wheelhouse/pep508/requirement.hpp"

namespace {

using nlohmann::json;
using wheelhouse::pep508::Environment;
using wheelhouse::pep508::Marker;
using wheelhouse::pep508::Requirement;

auto failure(const wheelhouse::Error& error) -> json {
    return json{{"ok", false}, {"column", error.location.column}, {"message", error.message}};
}

auto answer_marker(const json& query) -> json {
    auto marker = Marker::parse(query.at("text").get<std::string>());
    if (!marker) return failure(marker.error());
    json results = json::array();
    for (const auto& c : query.value("cases", json::array())) {
        Environment env;
        for (const auto& [key, value] : c.at("env").items()) env[key] = value.get<std::string>();
        std::set<std::string> extras;
        for (const auto& e : c.value("extras", json::array())) extras.insert(e.get<std::string>());
        auto value = marker->evaluate(env, extras);
        if (value) {
            results.push_back(*value);
        } else {
            results.push_back("error");
        }
    }
    return json{{"ok", true}, {"str", marker->to_string()}, {"results", results}};
}

auto answer_requirement(const json& query) -> json {
    auto req = Requirement::parse(query.at("text").get<std::string>());
    if (!req) return failure(req.error());
    json out{{"ok", true},
             {"name", req->name},
             {"extras", req->extras},
             {"specifier", req->specifier.to_string()},
             {"str", req->to_string()}};
    out["url"] = req->url ? json(*req->url) : json(nullptr);
    out["marker"] = req->marker ? json(req->marker->to_string()) : json(nullptr);
    return out;
}

}  // namespace

auto main() -> int {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        json answer;
        try {
            auto query = json::parse(line);
            auto kind = query.at("kind").get<std::string>();
            answer = kind == "marker" ? answer_marker(query) : answer_requirement(query);
        } catch (const std::exception& e) {
            answer = json{{"ok", false}, {"column", 0}, {"message", std::string("probe: ") + e.what()}};
        }
        std::cout << answer.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
    }
    return 0;
}
