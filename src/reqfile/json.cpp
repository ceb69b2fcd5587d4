#include <nlohmann/json.hpp>

#include "wheelhouse/reqfile/reqfile.hpp"

namespace wheelhouse::reqfile {

namespace {

using Json = nlohmann::ordered_json;

auto entry_json(const Entry& e) -> Json {
    Json j;
    j["kind"] = std::string(to_string(e.kind));
    j["text"] = e.text;
    j["requirement"] = e.requirement.to_string();
    j["name"] = e.requirement.canonical_name();
    if (!e.location.empty()) j["location"] = e.location;
    Json hashes = Json::object();
    for (const auto& [algo, digests] : e.hashes) hashes[algo] = digests;
    j["hashes"] = hashes;
    if (!e.global_options.empty()) j["global_options"] = e.global_options;
    if (!e.config_settings.empty()) {
        Json cs = Json::object();
        for (const auto& [k, v] : e.config_settings) cs[k] = v;
        j["config_settings"] = cs;
    }
    j["origin"] = e.origin.to_string();
    j["constraint"] = e.constraint;
    return j;
}

}  // namespace

auto to_json(const RequirementsFile& file) -> std::string {
    Json j;
    j["requirements"] = Json::array();
    for (const auto& e : file.requirements) j["requirements"].push_back(entry_json(e));
    j["constraints"] = Json::array();
    for (const auto& e : file.constraints) j["constraints"].push_back(entry_json(e));
    const auto& o = file.options;
    Json opts;
    opts["index_url"] = o.index_url ? Json(*o.index_url) : Json(nullptr);
    opts["extra_index_urls"] = o.extra_index_urls;
    opts["no_index"] = o.no_index;
    opts["index_urls"] = o.effective_index_urls();
    opts["find_links"] = o.find_links;
    opts["trusted_hosts"] = o.trusted_hosts;
    opts["pre"] = o.pre;
    opts["prefer_binary"] = o.prefer_binary;
    opts["require_hashes"] = o.require_hashes;
    opts["no_binary"] = std::vector<std::string>(o.no_binary.begin(), o.no_binary.end());
    opts["only_binary"] = std::vector<std::string>(o.only_binary.begin(), o.only_binary.end());
    opts["features_enabled"] = o.features_enabled;
    j["options"] = opts;
    j["files"] = file.files;
    j["warnings"] = Json::array();
    for (const auto& w : file.warnings) {
        j["warnings"].push_back(Json{{"location", w.location.to_string()}, {"message", w.message}});
    }
    return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

auto to_json(const Error& error) -> std::string {
    Json e;
    e["code"] = to_string(error.code);
    e["location"] = error.location.to_string();
    e["message"] = error.message;
    e["hint"] = error.hint;
    e["context"] = error.context;
    Json j;
    j["error"] = e;
    return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace wheelhouse::reqfile
