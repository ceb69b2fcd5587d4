// libFuzzer target for pep440::SpecifierSet::parse: never crashes; a parsed set round-trips through
// to_string() to an equal set, and contains() agrees with filter() for a candidate taken from the
// input (the text after the first NUL).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/pep440/specifier.hpp"

using wheelhouse::pep440::SpecifierSet;
using wheelhouse::pep440::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto nul = text.find('\0');
    const auto set = SpecifierSet::parse(text.substr(0, nul));
    if (!set) return 0;
    const auto normal = set->to_string();
    const auto again = SpecifierSet::parse(normal);
    if (!again || !(*again == *set) || again->to_string() != normal) std::abort();
    for (const auto& spec : set->specifiers()) {
        const auto one = wheelhouse::pep440::Specifier::parse(spec.to_string());
        if (!one || !(*one == spec) || one->to_string() != spec.to_string()) std::abort();
    }
    if (nul == std::string_view::npos) return 0;
    const auto candidate_text = std::string(text.substr(nul + 1));
    const auto candidate = Version::parse(candidate_text);
    for (const std::optional<bool> pre :
         {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
        const bool in_text = set->contains_text(candidate_text, pre);
        if (!candidate) continue;
        const bool in = set->contains(*candidate, pre);
        // filter() on a single final version is plain containment; prereleases need the policy.
        if (!candidate->is_prerelease()) {
            const bool kept = !set->filter(std::vector<Version>{*candidate}, pre).empty();
            if (kept != in) std::abort();
        }
        if (pre.value_or(true) && in && !set->contains(*candidate, true)) std::abort();
        (void)in_text;
    }
    return 0;
}
