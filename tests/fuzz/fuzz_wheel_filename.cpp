// Fuzzes wheel / sdist file name and tag parsing: no crash, no hang, and parse(to_string(x)) == x.
// A parsed wheel is also ranked against an MWAA target (must not crash; a priority is in range).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/tags/target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wheelhouse::tags;
    // The tags of an MWAA image (CPython 3.12 on glibc 2.34 x86_64), as image::Preset::target() builds them.
    static const Target target = *Target::from_options(
        {"cp", "3.12.13", linux_platforms("x86_64", 2, 34), {}, PlatformExpansion::exact}, "mwaa");
    std::string_view text(reinterpret_cast<const char*>(data), size);

    // A file name is one path component wherever it is used: no part may hold a separator or NUL.
    const bool has_separator = text.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos;
    auto wheel = WheelFilename::parse(text);
    if (wheel && has_separator) std::abort();
    if (wheel) {
        auto again = WheelFilename::parse(wheel->to_string());
        if (!again || !(*again == *wheel) || again->to_string() != wheel->to_string()) std::abort();
        if (wheel->tags().size() == 0 || wheel->tags().size() > TagSet::max_tags) std::abort();
        auto result = target.rank(*wheel);
        if (result.compatible && result.priority >= target.tags().size()) std::abort();
        if (!result.compatible && result.reason.empty()) std::abort();
    } else if (wheel.error().location.column < 1) {
        std::abort();
    }

    auto sdist = SdistFilename::parse(text);
    if (sdist && has_separator) std::abort();
    if (!sdist && sdist.error().location.column < 1) std::abort();

    auto tags = TagSet::parse(text);
    if (tags) {
        auto again = TagSet::parse(tags->to_string());
        if (!again || !again->same_tags(*tags)) std::abort();
    }
    return 0;
}
