// Fuzz target for pep508::Marker: parsing never crashes, and a parsed marker's canonical text
// parses back to the same marker that evaluates the same way.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "wheelhouse/pep508/marker.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto marker = wheelhouse::pep508::Marker::parse(text);
    if (!marker) {
        if (marker.error().location.column < 1 || marker.error().message.empty()) std::abort();
        return 0;
    }
    auto printed = marker->to_string();
    auto again = wheelhouse::pep508::Marker::parse(printed);
    if (!again || again->to_string() != printed) std::abort();
    auto env = wheelhouse::pep508::linux_cpython_environment("3.11.9");
    for (const auto& extras : {std::set<std::string>{}, std::set<std::string>{"s3", "Foo_Bar"}}) {
        auto a = marker->evaluate(env, extras);
        auto b = again->evaluate(env, extras);
        if (a.has_value() != b.has_value() || (a && *a != *b)) std::abort();
    }
    auto lock = marker->evaluate_lock_file(env, {"x"}, {"dev"});
    (void)lock;
    return 0;
}
