// Loading of the pypa/packaging test parameters (fixtures/corpora/packaging/*.params.json).
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace wheelhouse::pep440::testing {

using nlohmann::json;

inline auto load_corpus(const std::string& name) -> json {
    const std::string path = std::string(WHEELHOUSE_CORPORA_DIR) + "/packaging/" + name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return json::parse(in);
}

// Cases of one test function, optionally only those of one test class (e.g. "TestSpecifierSet").
inline auto cases(const json& corpus, const std::string& function, const std::string& test_class = {})
    -> std::vector<json> {
    std::vector<json> out;
    for (const auto& item : corpus) {
        if (item.at("function") != function) continue;
        if (!test_class.empty() &&
            item.at("nodeid").get<std::string>().find("::" + test_class + "::") == std::string::npos) {
            continue;
        }
        out.push_back(item);
    }
    return out;
}

inline auto optional_bool(const json& value) -> std::optional<bool> {
    if (value.is_null()) return std::nullopt;
    return value.get<bool>();
}

// A version parameter is either a string or {"__type__": "Version", "str": ...} (a Version object).
inline auto is_version_object(const json& value) -> bool {
    return value.is_object();
}
inline auto version_text(const json& value) -> std::string {
    return value.is_object() ? value.at("str").get<std::string>() : value.get<std::string>();
}

}  // namespace wheelhouse::pep440::testing
