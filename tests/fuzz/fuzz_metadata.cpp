// Core metadata parser: no crash or hang on any input, and what it reads it can read back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wheelhouse/metadata/metadata.hpp"

namespace {

using wheelhouse::metadata::HeaderBlock;

// Writes headers the way a metadata writer folds them (continuations indented by one space).
auto serialise(const HeaderBlock& block) -> std::string {
    std::string out;
    for (const auto& h : block.headers) {
        out += h.name;
        out += ": ";
        for (char c : h.value) {
            out += c;
            if (c == '\n') out += ' ';
        }
        out += '\n';
    }
    if (block.body) {
        out += '\n';
        out += *block.body;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto block = wheelhouse::metadata::parse_headers(text, "fuzz");
    if (!block) {
        if (block.error().location.line < 1) std::abort();
        return 0;
    }
    int previous = 0;
    for (const auto& h : block->headers) {
        if (h.line <= previous || h.name.empty()) std::abort();
        if (h.value.find('\r') != std::string::npos) std::abort();
        previous = h.line;
    }
    auto again = wheelhouse::metadata::parse_headers(serialise(*block));
    if (!again || again->headers.size() != block->headers.size() || again->body != block->body) std::abort();
    for (std::size_t i = 0; i < block->headers.size(); ++i) {
        if (again->headers[i].name != block->headers[i].name || again->headers[i].value != block->headers[i].value) {
            std::abort();
        }
    }
    auto md = wheelhouse::metadata::Metadata::parse(text, "fuzz");
    if (md && (md->name.empty() || md->version.empty() || md->metadata_version.empty())) std::abort();
    return 0;
}
