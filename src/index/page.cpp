// PEP 503 HTML and PEP 691 JSON project pages -> candidate files.
#include <fmt/format.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "page_support.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::index {

namespace {

// Bytes that may not appear raw in a URI reference; escaping them lets libxml2 resolve links with spaces.
auto escape_for_uri(std::string_view text) -> std::string {
    static constexpr std::string_view unsafe = "\"<>\\^`{|}";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || unsafe.find(c) != std::string_view::npos) {
            out += fmt::format("%{:02X}", byte);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

auto hex_value(char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

struct XmlFree {
    void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlString = std::unique_ptr<xmlChar, XmlFree>;

struct DocFree {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

auto attribute(xmlNode* node, const char* name) -> std::optional<std::string> {
    // xmlHasProp finds attributes without a value (data-yanked alone), which xmlGetProp reports as absent.
    xmlAttr* attr = xmlHasProp(node, reinterpret_cast<const xmlChar*>(name));
    if (attr == nullptr) return std::nullopt;
    XmlString value(xmlNodeGetContent(reinterpret_cast<xmlNode*>(attr)));
    if (!value) return std::string();
    return std::string(reinterpret_cast<const char*>(value.get()));
}

// "true" / "" -> available without hash; "sha256=abc" -> available with hash; anything else -> not offered.
auto parse_metadata_attribute(std::string_view value) -> MetadataAvailability {
    MetadataAvailability m;
    const auto trimmed = util::trim(value);
    if (trimmed.empty() || util::iequals(trimmed, "true")) {
        m.available = true;
        return m;
    }
    const auto eq = trimmed.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == trimmed.size()) return m;
    m.available = true;
    m.hashes.emplace(util::to_lower(trimmed.substr(0, eq)), util::to_lower(trimmed.substr(eq + 1)));
    return m;
}

void walk(xmlNode* node, const std::function<void(xmlNode*)>& visit) {
    for (xmlNode* n = node; n != nullptr; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            visit(n);
            walk(n->children, visit);
        }
    }
}

auto name_is(xmlNode* node, const char* name) -> bool {
    return node->name != nullptr && util::iequals(reinterpret_cast<const char*>(node->name), name);
}

// A page from the network may point only at the network: a file: link (or a <base href> that makes relative
// links file: URLs) would have the client read, hash and bundle a file of this machine that the server chose.
// Only a local page (a file:// index or find-links page) may list local files.
auto check_link_scheme(std::string_view page_url, std::string_view link_url) -> Expected<void> {
    const bool remote_page =
        util::starts_with_icase(page_url, "http://") || util::starts_with_icase(page_url, "https://");
    if (!remote_page || !util::starts_with_icase(util::trim(link_url), "file:")) return {};
    return make_error(ErrorCode::network,
                      fmt::format("index page {} links to the local file {}: a page from the network may not point at "
                                  "files of this machine",
                                  util::redact_url(page_url), util::elide(link_url, 200)),
                      {},
                      "the index (or a proxy) serves a page that points at files of this machine: do not use this "
                      "index, and report it to its owner");
}

}  // namespace

auto percent_decode(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

auto resolve_url(std::string_view base, std::string_view reference) -> std::string {
    const auto ref = escape_for_uri(util::trim(reference));
    const auto escaped_base = escape_for_uri(base);
    XmlString built(xmlBuildURI(reinterpret_cast<const xmlChar*>(ref.c_str()),
                                reinterpret_cast<const xmlChar*>(escaped_base.c_str())));
    if (!built) return ref;
    return reinterpret_cast<const char*>(built.get());
}

auto project_url(std::string_view index_url, std::string_view project) -> std::string {
    std::string url(index_url);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url + "/" + tags::normalize_name(project) + "/";
}

auto Candidate::project() const -> const std::string& {
    if (const auto* w = wheel()) return w->name();
    return sdist()->name;
}

auto Candidate::version() const -> const pep440::Version& {
    if (const auto* w = wheel()) return w->version();
    return sdist()->version;
}

namespace detail {

auto split_fragment(std::string_view url) -> std::pair<std::string, std::string> {
    const auto hash = url.find('#');
    if (hash == std::string_view::npos) return {std::string(url), {}};
    return {std::string(url.substr(0, hash)), std::string(url.substr(hash + 1))};
}

auto filename_of_url(std::string_view url) -> std::string {
    auto path = url.substr(0, url.find_first_of("?#"));
    const auto slash = path.rfind('/');
    if (slash != std::string_view::npos) path = path.substr(slash + 1);
    return percent_decode(path);
}

auto make_candidate(LinkInfo link, std::string_view index_label, std::vector<std::string>& skipped)
    -> std::optional<Candidate> {
    auto [url, fragment] = split_fragment(link.url);
    std::string filename = link.filename.empty() ? filename_of_url(url) : link.filename;
    // A #algo=digest fragment carries a hash (PEP 503); other fragments (#egg=) are not hashes.
    if (!fragment.empty()) {
        const auto eq = fragment.find('=');
        if (eq != std::string::npos && eq > 0) {
            const auto algo = util::to_lower(fragment.substr(0, eq));
            static constexpr std::string_view known[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};
            for (auto k : known) {
                if (algo == k && link.hashes.find(algo) == link.hashes.end()) {
                    link.hashes.emplace(algo, util::to_lower(fragment.substr(eq + 1)));
                }
            }
        }
    }
    Candidate c;
    if (tags::is_wheel_filename(filename)) {
        auto wheel = tags::WheelFilename::parse(filename);
        if (!wheel) {
            skipped.push_back(fmt::format("{}: {}", filename, wheel.error().message));
            return std::nullopt;
        }
        c.dist = std::move(*wheel);
    } else if (tags::is_sdist_filename(filename)) {
        auto sdist = tags::SdistFilename::parse(filename);
        if (!sdist) {
            skipped.push_back(fmt::format("{}: {}", filename, sdist.error().message));
            return std::nullopt;
        }
        c.dist = std::move(*sdist);
    } else {
        skipped.push_back(fmt::format("{}: not a wheel or source distribution", filename));
        return std::nullopt;
    }
    c.filename = std::move(filename);
    c.url = std::move(url);
    c.hashes = std::move(link.hashes);
    if (link.requires_python && !util::trim(*link.requires_python).empty()) {
        c.requires_python = std::string(util::trim(*link.requires_python));
    }
    c.yanked = link.yanked;
    if (link.yanked && link.yanked_reason && !link.yanked_reason->empty()) c.yanked_reason = link.yanked_reason;
    c.metadata = std::move(link.metadata);
    c.size = link.size;
    c.index = index_label;
    return c;
}

}  // namespace detail

auto parse_html_page(std::string_view html, std::string_view page_url, std::string_view index_label) -> Expected<Page> {
    if (html.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return make_error(ErrorCode::invalid_input, fmt::format("index page {} is too large ({} bytes)",
                                                                util::redact_url(page_url), html.size()));
    }
    // libxml2 must be initialised once before threads may parse concurrently.
    static const bool initialised = [] {
        xmlInitParser();
        return true;
    }();
    (void)initialised;
    Page page;
    page.url = util::redact_url(page_url);
    page.format = PageFormat::html;
    if (util::trim(html).empty()) return page;
    // Recover from bad markup; never touch the network or load external entities/DTDs.
    constexpr int flags = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                          HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT;
    std::unique_ptr<xmlDoc, DocFree> doc(
        htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", flags));
    if (!doc) return page;  // nothing parseable: a page without links

    std::string base(page_url);
    bool base_seen = false;
    std::vector<xmlNode*> anchors;
    walk(xmlDocGetRootElement(doc.get()) != nullptr ? doc->children : nullptr, [&](xmlNode* node) {
        if (name_is(node, "base") && !base_seen) {
            if (auto href = attribute(node, "href"); href && !util::trim(*href).empty()) {
                base = resolve_url(page_url, *href);
                base_seen = true;
            }
        } else if (name_is(node, "meta")) {
            auto name = attribute(node, "name");
            if (name && util::iequals(*name, "pypi:repository-version")) page.api_version = attribute(node, "content");
        } else if (name_is(node, "a")) {
            anchors.push_back(node);
        }
    });
    for (xmlNode* a : anchors) {
        auto href = attribute(a, "href");
        if (!href || util::trim(*href).empty()) continue;
        detail::LinkInfo link;
        link.url = resolve_url(base, *href);
        if (auto ok = check_link_scheme(page_url, link.url); !ok) return unexpected(std::move(ok).error());
        link.requires_python = attribute(a, "data-requires-python");
        if (auto yanked = attribute(a, "data-yanked")) {
            link.yanked = true;
            link.yanked_reason = std::move(yanked);
        }
        // PEP 714: data-core-metadata is the name; data-dist-info-metadata is the older spelling.
        if (auto core = attribute(a, "data-core-metadata")) {
            link.metadata = parse_metadata_attribute(*core);
        } else if (auto dist_info = attribute(a, "data-dist-info-metadata")) {
            link.metadata = parse_metadata_attribute(*dist_info);
        }
        if (auto c = detail::make_candidate(std::move(link), index_label, page.skipped)) {
            page.candidates.push_back(std::move(*c));
        }
    }
    return page;
}

namespace {

auto json_metadata(const nlohmann::json& value) -> std::optional<MetadataAvailability> {
    MetadataAvailability m;
    if (value.is_boolean()) {
        m.available = value.get<bool>();
        return m;
    }
    if (value.is_object()) {
        m.available = true;
        for (const auto& [algo, digest] : value.items()) {
            if (digest.is_string()) m.hashes.emplace(util::to_lower(algo), util::to_lower(digest.get<std::string>()));
        }
        return m;
    }
    return std::nullopt;
}

}  // namespace

auto parse_json_page(std::string_view json, std::string_view page_url, std::string_view index_label) -> Expected<Page> {
    auto doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
    if (doc.is_discarded()) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("index page {} is not valid JSON", util::redact_url(page_url)));
    }
    auto bad = [&](std::string what) {
        return make_error(ErrorCode::invalid_input, fmt::format("index page {}: {}", util::redact_url(page_url), what));
    };
    if (!doc.is_object()) return bad("expected a JSON object");
    Page page;
    page.url = util::redact_url(page_url);
    page.format = PageFormat::json;
    if (auto meta = doc.find("meta"); meta != doc.end() && meta->is_object()) {
        if (auto v = meta->find("api-version"); v != meta->end() && v->is_string()) {
            page.api_version = v->get<std::string>();
            if (!page.api_version->empty() && page.api_version->front() != '1') {
                return bad(fmt::format("unsupported api-version {}", *page.api_version));
            }
        }
    }
    auto files = doc.find("files");
    if (files == doc.end()) return page;
    if (!files->is_array()) return bad("\"files\" is not a list");
    for (const auto& file : *files) {
        if (!file.is_object()) return bad("a \"files\" entry is not an object");
        auto url = file.find("url");
        if (url == file.end() || !url->is_string()) return bad("a file has no \"url\"");
        detail::LinkInfo link;
        link.url = resolve_url(page_url, url->get<std::string>());
        if (auto ok = check_link_scheme(page_url, link.url); !ok) return unexpected(std::move(ok).error());
        if (auto fn = file.find("filename"); fn != file.end() && fn->is_string())
            link.filename = fn->get<std::string>();
        if (auto hashes = file.find("hashes"); hashes != file.end() && hashes->is_object()) {
            for (const auto& [algo, digest] : hashes->items()) {
                if (digest.is_string()) {
                    link.hashes.emplace(util::to_lower(algo), util::to_lower(digest.get<std::string>()));
                }
            }
        }
        if (auto rp = file.find("requires-python"); rp != file.end() && rp->is_string()) {
            link.requires_python = rp->get<std::string>();
        }
        if (auto y = file.find("yanked"); y != file.end()) {
            if (y->is_boolean()) {
                link.yanked = y->get<bool>();
            } else if (y->is_string()) {
                link.yanked = true;
                link.yanked_reason = y->get<std::string>();
            }
        }
        std::optional<MetadataAvailability> m;
        if (auto core = file.find("core-metadata"); core != file.end()) m = json_metadata(*core);
        if (!m) {
            if (auto di = file.find("dist-info-metadata"); di != file.end()) m = json_metadata(*di);
        }
        if (!m) {
            // A spelling some indexes wrote, mirroring the HTML attribute name.
            if (auto di = file.find("data-dist-info-metadata"); di != file.end()) m = json_metadata(*di);
        }
        if (m) link.metadata = std::move(*m);
        if (auto size = file.find("size"); size != file.end() && size->is_number_unsigned()) {
            link.size = size->get<std::uint64_t>();
        }
        if (auto c = detail::make_candidate(std::move(link), index_label, page.skipped)) {
            page.candidates.push_back(std::move(*c));
        }
    }
    return page;
}

auto parse_page(std::string_view body, std::string_view content_type, std::string_view page_url,
                std::string_view index_label) -> Expected<Page> {
    const auto semicolon = content_type.find(';');
    const auto mime = util::to_lower(util::trim(content_type.substr(0, semicolon)));
    if (mime == json_content_type) return parse_json_page(body, page_url, index_label);
    return parse_html_page(body, page_url, index_label);
}

}  // namespace wheelhouse::index
