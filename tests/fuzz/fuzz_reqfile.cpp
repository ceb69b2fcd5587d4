// Fuzz target for the whole-file requirements parser: any bytes must give a model or an error with
// a location, never a crash or a hang; the model must serialise, and named requirements must
// re-parse from their canonical text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wheelhouse/reqfile/reqfile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace wheelhouse;
    std::string_view text(reinterpret_cast<const char*>(data),
                          size);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    reqfile::ParseOptions options;
    options.environment = [](std::string_view name) -> std::optional<std::string> {
        if (name == "A") return std::string("${A}${A}");  // expansion must not recurse
        if (name == "V") return std::string("1.0");
        return std::nullopt;
    };
    options.fetcher = [](std::string_view) -> Expected<std::string> {
        return make_error(ErrorCode::network, "offline");
    };
    // Includes resolve under a folder that does not exist, so the fuzzer cannot read real files
    // except by absolute path (which only regular files are read from).
    auto result = reqfile::parse_text(text, "/nonexistent-fuzz-dir/requirements.txt", options);
    if (!result) {
        if (result.error().location.file.empty()) std::abort();
        (void)reqfile::to_json(result.error());
        return 0;
    }
    (void)reqfile::to_json(*result);
    for (const auto& e : result->requirements) {
        if (e.origin.line <= 0) std::abort();
        if (e.kind == reqfile::EntryKind::named) {
            auto again = pep508::Requirement::parse(e.requirement.to_string());
            if (!again) std::abort();
        }
    }
    return 0;
}
