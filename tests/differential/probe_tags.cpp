// Differential probe for the tags module: one JSON request per line on stdin, one JSON answer per
// line on stdout. Requests:
//   {"op":"wheel","filename":F[,"validate_order":true]}
//       -> {"ok":true,"name":..,"version":..,"build":[number,suffix]|null,"tags":[sorted]} |
//       {"ok":false,"column":N,"error":..}
//   {"op":"sdist","filename":F}            -> {"ok":true,"name":..,"version":..} | {"ok":false,...}
//   {"op":"preset","name":N}               -> {"ok":true,"tags":[in priority order]}
//   {"op":"options","implementation":I,"python_version":V,"platforms":[..],"abis":[..],"expansion":"native|pip|exact"}
//                                          -> {"ok":true,"tags":[..]}
//   {"op":"rank","preset":N,"filename":F}  -> {"ok":true,"compatible":B,"priority":P,"part":..,"reason":..}
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "wheelhouse/image/image.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/tags/target.hpp"

namespace {

using nlohmann::json;
using namespace wheelhouse;

auto failure(const Error& error) -> json {
    return json{{"ok", false}, {"column", error.location.column}, {"error", error.message}};
}

auto tag_list(const std::vector<tags::Tag>& list) -> json {
    json out = json::array();
    for (const auto& tag : list) out.push_back(tag.to_string());
    return out;
}

auto answer(const json& request) -> json {
    auto op = request.at("op").get<std::string>();
    if (op == "wheel") {
        tags::WheelParseOptions options;
        options.validate_order = request.value("validate_order", false);
        auto wheel = tags::WheelFilename::parse(request.at("filename").get<std::string>(), options);
        if (!wheel) return failure(wheel.error());
        std::vector<std::string> expanded;
        for (const auto& tag : wheel->tags().expand()) expanded.push_back(tag.to_string());
        std::sort(expanded.begin(), expanded.end());
        json build = nullptr;
        if (wheel->build()) build = json::array({wheel->build()->number, wheel->build()->suffix});
        // The round trip is part of every answer: a mismatch shows up as a disagreement.
        auto again = tags::WheelFilename::parse(wheel->to_string());
        bool round_trip = again && *again == *wheel;
        return json{{"ok", true},     {"name", wheel->name()}, {"version", wheel->version().to_string()},
                    {"build", build}, {"tags", expanded},      {"round_trip", round_trip}};
    }
    if (op == "sdist") {
        auto sdist = tags::SdistFilename::parse(request.at("filename").get<std::string>());
        if (!sdist) return failure(sdist.error());
        return json{{"ok", true}, {"name", sdist->name}, {"version", sdist->version.to_string()}};
    }
    if (op == "preset") {
        auto preset = image::find_preset(request.at("name").get<std::string>());
        if (!preset) return failure(preset.error());
        return json{{"ok", true}, {"tags", tag_list(preset->target().tags())}};
    }
    if (op == "options") {
        tags::TargetOptions options;
        options.implementation = request.value("implementation", std::string("cp"));
        options.python_version = request.at("python_version").get<std::string>();
        options.platforms = request.value("platforms", std::vector<std::string>{});
        options.abis = request.value("abis", std::vector<std::string>{});
        auto expansion = request.value("expansion", std::string("native"));
        options.expansion = expansion == "pip"     ? tags::PlatformExpansion::pip
                            : expansion == "exact" ? tags::PlatformExpansion::exact
                                                   : tags::PlatformExpansion::native;
        auto target = tags::Target::from_options(options);
        if (!target) return failure(target.error());
        return json{{"ok", true}, {"tags", tag_list(target->tags())}};
    }
    if (op == "rank") {
        auto preset = image::find_preset(request.at("preset").get<std::string>());
        if (!preset) return failure(preset.error());
        auto wheel = tags::WheelFilename::parse(request.at("filename").get<std::string>());
        if (!wheel) return failure(wheel.error());
        auto result = preset->target().rank(*wheel);
        return json{{"ok", true},
                    {"compatible", result.compatible},
                    {"priority", result.priority},
                    {"part", tags::to_string(result.part)},
                    {"reason", result.reason}};
    }
    return json{{"ok", false}, {"column", 0}, {"error", "unknown op " + op}};
}

}  // namespace

auto main() -> int {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        json response;
        try {
            response = answer(json::parse(line));
        } catch (const std::exception& e) {
            response = json{{"ok", false}, {"column", 0}, {"error", std::string("probe: ") + e.what()}};
        }
        std::cout << response.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
    }
    return 0;
}
