// Fuzz target for pep508::Requirement: parsing never crashes, and a parsed requirement's
// canonical text parses back to an equal requirement with the same text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wheelhouse/pep508/requirement.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto req = wheelhouse::pep508::Requirement::parse(text);
    if (!req) {
        if (req.error().location.column < 1 || req.error().message.empty()) std::abort();
        return 0;
    }
    auto printed = req->to_string();
    auto again = wheelhouse::pep508::Requirement::parse(printed);
    if (!again || again->to_string() != printed || !(*again == *req)) std::abort();
    if (req->name.empty() || (req->url && !req->specifier.empty())) std::abort();
    return 0;
}
