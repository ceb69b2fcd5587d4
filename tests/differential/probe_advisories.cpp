// Differential probe for advisories: loads the OSV folder or zip given as argv[1], then answers one query per line
// on stdin ("<name> <version>") with one JSON line: {"ids": [...], "fixed": {id: [...]}} (flushed), so that
// test_advisories.py can compare every package and version of the corpus with an independent reference.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "wheelhouse/advisories/advisories.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: probe_advisories OSV_FOLDER_OR_ZIP\n";
        return 2;
    }
    auto db = wheelhouse::advisories::Database::load(argv[1]);
    if (!db) {
        std::cerr << db.error().to_string() << "\n";
        return 1;
    }
    for (const auto& w : db->warnings()) std::cerr << "warning: " << w << "\n";
    std::string line;
    while (std::getline(std::cin, line)) {
        auto space = line.find(' ');
        nlohmann::json out{{"ids", nlohmann::json::array()}, {"fixed", nlohmann::json::object()}};
        if (space != std::string::npos) {
            for (const auto& f : db->match(line.substr(0, space), line.substr(space + 1))) {
                out["ids"].push_back(f.advisory->id);
                out["fixed"][f.advisory->id] = f.fixed;
            }
        }
        std::cout << out.dump() << std::endl;
    }
    return 0;
}
