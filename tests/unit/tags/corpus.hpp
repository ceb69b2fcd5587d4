// Reads the pypa/packaging parameter dumps in fixtures/corpora/packaging (see COMMIT, LICENSE*).
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wheelhouse::tags::testing {

inline auto load_corpus(const std::string& file) -> nlohmann::json {
    std::ifstream in(std::string(WHEELHOUSE_CORPORA_DIR) + "/packaging/" + file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (buffer.str().empty()) return nlohmann::json::array();
    return nlohmann::json::parse(buffer.str());
}

inline auto cases_of(const nlohmann::json& corpus, const std::string& function) -> std::vector<nlohmann::json> {
    std::vector<nlohmann::json> out;
    for (const auto& entry : corpus) {
        if (entry.at("function") == function) out.push_back(entry);
    }
    return out;
}

}  // namespace wheelhouse::tags::testing
