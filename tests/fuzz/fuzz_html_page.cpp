// PEP 503 HTML page parser: no crash, leak or hang on any input, and every candidate it reports is sane.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wheelhouse/index/index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view html(reinterpret_cast<const char*>(data), size);
    auto page = wheelhouse::index::parse_html_page(html, "https://example.org/simple/demo/", "fuzz");
    if (!page) return 0;
    if (page->format != wheelhouse::index::PageFormat::html) std::abort();
    for (const auto& c : page->candidates) {
        // The fragment became hashes; the file name is a wheel or sdist with a project and version.
        if (c.filename.empty() || c.url.find('#') != std::string::npos || c.project().empty()) std::abort();
        if (c.filename.find_first_of("/\\") != std::string::npos) std::abort();
        // A page from the network never yields a local file (a file: link or <base href> is an error).
        std::string scheme = c.url.substr(0, 5);
        for (auto& ch : scheme) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        if (scheme == "file:") std::abort();
        if (c.yanked_reason && (!c.yanked || c.yanked_reason->empty())) std::abort();
        if (c.requires_python && c.requires_python->empty()) std::abort();
        for (const auto& [algo, digest] : c.hashes) {
            for (char ch : algo) {
                if (ch >= 'A' && ch <= 'Z') std::abort();
            }
        }
        if (c.index != "fuzz") std::abort();
    }
    return 0;
}
