// libFuzzer target for pep440::Version::parse: never crashes, and whatever parses round-trips
// (parse(to_string(v)) == v, with the same string) and orders consistently with itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wheelhouse/pep440/version.hpp"

using wheelhouse::pep440::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // Two halves split at the first NUL give a second version to compare against.
    const auto nul = text.find('\0');
    const auto first = Version::parse(text.substr(0, nul));
    if (!first) return 0;
    const auto normal = first->to_string();
    const auto again = Version::parse(normal);
    if (!again || !(*again == *first) || again->to_string() != normal) std::abort();
    if (Version::compare(*first, *first) != 0) std::abort();
    if (first->without_local().to_string() != first->public_version()) std::abort();
    if (Version::compare(first->without_local(), *first, true) != 0) std::abort();
    if (first->has_local() && !(first->without_local() < *first)) std::abort();
    if (nul != std::string_view::npos) {
        const auto second = Version::parse(text.substr(nul + 1));
        if (second) {
            const int ab = Version::compare(*first, *second);
            const int ba = Version::compare(*second, *first);
            if (ab != -ba) std::abort();
            if ((ab == 0) != (*first == *second)) std::abort();
        }
    }
    return 0;
}
