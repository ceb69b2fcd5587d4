// OSV record parser (YAML through libyaml, or JSON): no crash or hang on any input; a record it accepts can be
// matched against any version, and an error always names the file.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/advisories/advisories.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> warnings;
    auto advisory = wheelhouse::advisories::parse_osv(text, "fuzz.yaml", &warnings);
    if (!advisory) {
        if (advisory.error().location.file != "fuzz.yaml" || advisory.error().message.empty()) std::abort();
        return 0;
    }
    if (advisory->id.empty()) std::abort();
    for (const auto& affected : advisory->affected) {
        for (const auto* version : {"0", "1.0", "2.0.0rc1", "1!2.0.post1.dev3+local", "not a version", ""}) {
            (void)wheelhouse::advisories::affects(affected, version);
        }
        for (const auto& v : affected.versions) {
            if (!wheelhouse::advisories::affects(affected, v)) std::abort();  // a listed version is affected
        }
    }
    auto db = wheelhouse::advisories::Database::from({*advisory});
    for (const auto& affected : advisory->affected) (void)db.match(affected.name, "1.0");
    return 0;
}
