// PEP 691 JSON page parser: no crash or hang on any input, and what it reads, written back as a PEP 691
// page, reads back the same.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "wheelhouse/index/index.hpp"

namespace {

using wheelhouse::index::Candidate;

auto to_json(const std::vector<Candidate>& candidates) -> std::string {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& c : candidates) {
        nlohmann::json f;
        f["filename"] = c.filename;
        f["url"] = c.url;
        f["hashes"] = nlohmann::json::object();
        for (const auto& [k, v] : c.hashes) f["hashes"][k] = v;
        if (c.requires_python) f["requires-python"] = *c.requires_python;
        if (c.yanked_reason) {
            f["yanked"] = *c.yanked_reason;
        } else {
            f["yanked"] = c.yanked;
        }
        if (c.metadata.hashes.empty()) {
            f["core-metadata"] = c.metadata.available;
        } else {
            f["core-metadata"] = nlohmann::json::object();
            for (const auto& [k, v] : c.metadata.hashes) f["core-metadata"][k] = v;
        }
        if (c.size) f["size"] = *c.size;
        files.push_back(std::move(f));
    }
    nlohmann::json doc;
    doc["meta"] = {{"api-version", "1.1"}};
    doc["files"] = std::move(files);
    // Invalid UTF-8 in the input would make dump() throw; replace it the way a server would have to.
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

auto same(const Candidate& a, const Candidate& b) -> bool {
    return a.filename == b.filename && a.hashes == b.hashes && a.requires_python == b.requires_python &&
           a.yanked == b.yanked && a.yanked_reason == b.yanked_reason && a.metadata == b.metadata && a.size == b.size;
}

auto valid_utf8(const Candidate& c) -> bool {
    auto ok = [](std::string_view s) {
        return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) ==
               nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore);
    };
    bool good = ok(c.filename) && ok(c.url) && ok(c.requires_python.value_or("")) && ok(c.yanked_reason.value_or(""));
    for (const auto& [k, v] : c.hashes) good = good && ok(k) && ok(v);
    for (const auto& [k, v] : c.metadata.hashes) good = good && ok(k) && ok(v);
    return good;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto page = wheelhouse::index::parse_json_page(text, "https://example.org/simple/demo/", "fuzz");
    if (!page) {
        if (page.error().message.empty()) std::abort();
        return 0;
    }
    if (page->format != wheelhouse::index::PageFormat::json) std::abort();
    for (const auto& c : page->candidates) {
        if (c.filename.empty() || c.url.find('#') != std::string::npos || c.project().empty()) std::abort();
        if (!valid_utf8(c)) return 0;  // nlohmann already refuses invalid UTF-8 input; keep the check honest
    }
    auto again =
        wheelhouse::index::parse_json_page(to_json(page->candidates), "https://example.org/simple/demo/", "fuzz");
    if (!again || again->candidates.size() != page->candidates.size()) std::abort();
    for (std::size_t i = 0; i < page->candidates.size(); ++i) {
        if (!same(page->candidates[i], again->candidates[i])) std::abort();
    }
    return 0;
}
