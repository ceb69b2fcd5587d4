// Fuzzes the AWS shared config/credentials parser and the other text the s3 module reads from users:
// credential_process command lines, its JSON output, ISO 8601 times, and request paths to normalise.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wheelhouse/s3/config.hpp"
#include "wheelhouse/s3/credentials.hpp"
#include "wheelhouse/s3/sigv4.hpp"

using namespace wheelhouse::s3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto ini = IniFile::parse(text, "fuzz");
    if (ini) {
        for (const auto& section : ini->sections) {
            if (section.name.empty() || section.line < 1) std::abort();
            for (const auto& [key, value] : section.values) {
                if (key.empty()) std::abort();
                for (char c : key) {
                    if (c >= 'A' && c <= 'Z') std::abort();  // keys are case-insensitive, stored lowercased
                }
                if (value.line < section.line) std::abort();
            }
        }
        auto files = SharedFiles::from_text(text, text);
        if (!files) std::abort();  // the same text parsed once must parse twice
        for (const auto& section : ini->sections) {
            const ProfileChoice choice{section.name, false, true};
            (void)resolve_region({}, Environment(), *files, choice);
            (void)resolve_endpoint_url({}, Environment(), *files, choice, "s3");
            (void)make_default_chain(Environment(), *files, choice).provider_names();
        }
    } else if (ini.error().location.line < 1) {
        std::abort();  // every syntax error names its line
    }

    auto words = split_command_line(text);
    if (words && words->empty()) std::abort();
    (void)parse_process_credentials(text);
    (void)parse_iso8601(text);

    const auto normalized = normalize_uri_path(text);
    if (normalized.empty() || normalized.front() != '/' || normalized.find("//") != std::string::npos) std::abort();
    if (normalize_uri_path(normalized) != normalized) std::abort();
    if (percent_decode(uri_encode(text, false)) != text) std::abort();
    return 0;
}
