// Index client: project pages from every source (parallel, cached), and core metadata by the cheapest way.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "page_support.hpp"
#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/cache/http_cache.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::index {

namespace fs = std::filesystem;

auto to_string(MetadataSource source) -> const char* {
    switch (source) {
        case MetadataSource::pep658: return "pep658";
        case MetadataSource::range: return "range";
        case MetadataSource::whole_file: return "whole-file";
        case MetadataSource::local_file: return "local-file";
        case MetadataSource::cache: return "cache";
    }
    return "?";
}

auto file_url_path(std::string_view url) -> std::optional<fs::path> {
    if (!util::starts_with_icase(url, "file:")) return std::nullopt;
    auto rest = url.substr(5);
    if (rest.substr(0, 2) == "//") {
        rest.remove_prefix(2);
        const auto slash = rest.find('/');
        rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);  // drop the host
    }
    rest = rest.substr(0, rest.find_first_of("?#"));
    return fs::path(percent_decode(rest));
}

namespace {

// Longer page URLs are refused before asking (servers answer 414 from about 8 KiB on).
constexpr std::size_t max_page_url = 16 * 1024;
// A wheel of 100,000 files has a central directory of about 10 MB.
constexpr std::uint64_t max_central_directory_bytes = 64ULL << 20;

auto is_file_url(std::string_view url) -> bool {
    return util::starts_with_icase(url, "file:");
}
auto is_http_url(std::string_view url) -> bool {
    return util::starts_with_icase(url, "http://") || util::starts_with_icase(url, "https://");
}

auto file_url_to_path(std::string_view url) -> fs::path {
    return file_url_path(url).value_or(fs::path(url));
}

auto path_to_file_url(const fs::path& path) -> std::string {
    std::string out = "file://";
    for (char c : fs::absolute(path).lexically_normal().generic_string()) {
        const auto byte = static_cast<unsigned char>(c);
        if (util::is_ascii_alnum(c) || std::string_view("/-._~+!$&'()*,;=:@").find(c) != std::string_view::npos) {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

// A digest check for whichever algorithm we can compute (sha256); other algorithms are left to the
// fetch step, which checks the file itself.
auto check_sha256(const std::map<std::string, std::string>& hashes, std::string_view actual_hex, std::string_view what)
    -> Expected<void> {
    auto it = hashes.find("sha256");
    if (it == hashes.end() || it->second == actual_hex) return {};
    return make_error(ErrorCode::verification,
                      fmt::format("{}: sha256 {} does not match the index's {}", what, actual_hex, it->second), {},
                      "the index or a proxy served different bytes than it advertised");
}

auto parse_metadata(std::string text, const Candidate& file, MetadataSource source, std::uint64_t bytes)
    -> Expected<CoreMetadata> {
    auto parsed = metadata::Metadata::parse(text, file.filename + ".metadata");
    if (!parsed) return unexpected(std::move(parsed).error());
    if (tags::normalize_name(parsed->name) != file.project()) {
        return make_error(ErrorCode::verification,
                          fmt::format("{}: metadata names project '{}', the file name says '{}'", file.filename,
                                      parsed->name, file.project()),
                          {},
                          "the index publishes this file under the wrong project, or serves another file's metadata: "
                          "report it to the index's owner, and pin another version meanwhile");
    }
    CoreMetadata out;
    out.text = std::move(text);
    out.parsed = std::move(*parsed);
    out.source = source;
    out.bytes_read = bytes;
    return out;
}

}  // namespace

struct Client::Impl {
    http::Engine* engine = nullptr;
    ClientOptions options;
    // user:password of each index / find-links origin. Candidates never hold credentials (they end up in
    // lock files and messages); requests to the same origin get them back here, as pip does per netloc.
    std::vector<std::pair<http::Origin, std::string>> credentials;
    std::optional<cache::HttpCache> cache;
    std::optional<fs::path> metadata_root;  // <cache>/metadata-v1
    Stats stats;
    bool find_links_loaded = false;
    std::vector<Expected<Page>> find_links_pages;

    // ---- pages -------------------------------------------------------------------------------------

    struct PageJob {
        std::string url;
        std::string label;
        std::optional<cache::CachedPage> cached;
        std::optional<Expected<Page>> result;  // set when no request is needed
        std::size_t request = 0;               // index into the batch when one is
    };

    void remember_credentials(std::string_view url) {
        const auto scheme_end = url.find("://");
        if (scheme_end == std::string_view::npos) return;
        const auto start = scheme_end + 3;
        const auto end = url.find_first_of("/?#", start);
        const auto authority = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        const auto at = authority.rfind('@');
        if (at == std::string_view::npos) return;
        auto origin = http::origin_of(url);
        if (!origin) return;
        credentials.emplace_back(std::move(*origin), std::string(authority.substr(0, at)));
    }

    auto authorized(const std::string& url) const -> std::string {
        if (credentials.empty() || cache::strip_credentials(url) != url) return url;
        auto origin = http::origin_of(url);
        if (!origin) return url;
        for (const auto& [known, userinfo] : credentials) {
            if (known == *origin) {
                const auto start = url.find("://") + 3;
                return url.substr(0, start) + userinfo + "@" + url.substr(start);
            }
        }
        return url;
    }

    static void strip_candidate_credentials(Expected<Page>& page) {
        if (!page) return;
        for (auto& c : page->candidates) c.url = cache::strip_credentials(c.url);
    }

    auto local_page(const std::string& url, const std::string& label) -> Expected<Page> {
        const fs::path path = file_url_to_path(url);
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            // A file:// index page is a folder holding index.json (PEP 691) or index.html.
            for (const auto& [name, type] :
                 {std::pair{"index.json", json_content_type}, std::pair{"index.html", std::string_view("text/html")}}) {
                const fs::path file = path / name;
                if (!fs::is_regular_file(file, ec)) continue;
                auto body = util::read_file(file);
                if (!body) return unexpected(std::move(body).error());
                stats.bytes += body->size();
                auto page_url = url;
                if (page_url.back() != '/') page_url += '/';
                return parse_page(*body, type, page_url, label);
            }
            return Page{util::redact_url(url), PageFormat::html, {}, {}, {}};
        }
        if (fs::is_regular_file(path, ec)) {
            auto body = util::read_file(path);
            if (!body) return unexpected(std::move(body).error());
            stats.bytes += body->size();
            const bool json = path.extension() == ".json";
            return parse_page(*body, json ? json_content_type : std::string_view("text/html"), url, label);
        }
        return make_error(ErrorCode::not_found, fmt::format("{} does not exist", path.string()));
    }

    // Fetches pages (http(s) in one parallel batch, file:// directly), using and refreshing the cache.
    auto fetch_pages(const std::vector<std::pair<std::string, std::string>>& urls_and_labels, std::string_view accept,
                     http::Reporter* reporter) -> std::vector<Expected<Page>> {
        std::vector<PageJob> jobs(urls_and_labels.size());
        std::vector<http::Request> requests;
        const auto now = std::chrono::system_clock::now();
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            auto& job = jobs[i];
            job.url = urls_and_labels[i].first;
            job.label = urls_and_labels[i].second;
            if (is_file_url(job.url)) {
                job.result = local_page(job.url, job.label);
                continue;
            }
            if (!is_http_url(job.url)) {
                job.result = make_error(ErrorCode::invalid_input,
                                        fmt::format("unsupported index URL {}", util::redact_url(job.url)));
                continue;
            }
            if (job.url.size() > max_page_url) {
                // Servers refuse such URLs (HTTP 414) and curl will not build them: the name is a mistake.
                job.result =
                    make_error(ErrorCode::invalid_input,
                               fmt::format("project page URL {} is {} bytes long",
                                           util::elide(util::redact_url(job.url), 200), job.url.size()),
                               {}, "a project name this long is a mistake in the input: check the requirement's name");
                continue;
            }
            http::Request request(job.url);
            request.max_body = http::max_index_page_bytes;
            request.headers.emplace_back("Accept", std::string(accept));
            if (cache) {
                job.cached = cache->lookup(job.url, accept);
                if (job.cached && job.cached->fresh(now)) {
                    ++stats.cache_fresh;
                    job.result = parse_page(job.cached->body, job.cached->content_type, job.url, job.label);
                    continue;
                }
                if (job.cached && job.cached->revalidatable()) {
                    for (auto& h : job.cached->conditional_headers()) request.headers.push_back(std::move(h));
                }
            }
            job.request = requests.size();
            requests.push_back(std::move(request));
        }
        stats.requests += requests.size();
        auto responses =
            requests.empty() ? std::vector<Expected<http::Response>>{} : engine->run(std::move(requests), reporter);
        std::vector<Expected<Page>> out;
        out.reserve(jobs.size());
        for (auto& job : jobs) {
            if (job.result) {
                out.push_back(std::move(*job.result));
                continue;
            }
            auto& response = responses[job.request];
            if (!response) {
                out.push_back(unexpected(std::move(response).error()));
                continue;
            }
            stats.bytes += response->bytes;
            const auto done = std::chrono::system_clock::now();
            if (response->not_modified() && job.cached) {
                ++stats.not_modified;
                const cache::CachedPage before = *job.cached;
                auto page = cache::HttpCache::refreshed(std::move(*job.cached), *response, done);
                // The stored time only matters for a lifetime; with none and the same validators, the entry on
                // disk is already right and rewriting it would cost a write per page on every warm run.
                const bool unchanged = !page.max_age && !before.max_age && page.etag == before.etag &&
                                       page.last_modified == before.last_modified && page.no_cache == before.no_cache;
                if (!unchanged) (void)cache->store(job.url, page);  // an unwritable cache only costs speed
                out.push_back(parse_page(page.body, page.content_type, job.url, job.label));
                continue;
            }
            if (!response->ok()) {
                out.push_back(make_error(
                    ErrorCode::network,
                    fmt::format("{}: unexpected HTTP {}", util::redact_url(job.url), response->status), {},
                    response->status == 401 || response->status == 403
                        ? "the index refused the request: put the user name and password (or token) in the index URL "
                          "or in ~/.netrc"
                        : "check that the index URL is right and that the server works"));
                continue;
            }
            // The final URL after redirects is where relative links point from. The engine reports it
            // redacted, so only use it when the request carried no credentials.
            const std::string base =
                response->url.empty() || response->url.find("***") != std::string::npos ? job.url : response->url;
            auto parsed = parse_page(response->body, response->content_type().value_or("text/html"), base, job.label);
            // A page whose links carry access tokens (presigned URLs, ?token=) is not kept: the cache would hold
            // the secrets, and the signatures expire anyway.
            const bool secret_links =
                parsed && std::any_of(parsed->candidates.begin(), parsed->candidates.end(),
                                      [](const Candidate& c) { return util::has_secret_query(c.url); });
            if (cache && !secret_links) {
                if (auto page = cache::HttpCache::page_from_response(job.url, accept, *response, done)) {
                    (void)cache->store(job.url, *page);
                }
            }
            out.push_back(std::move(parsed));
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
            auto& page = out[i];
            if (!page && page.error().code == ErrorCode::invalid_input && page.error().hint.empty()) {
                // The user cannot fix a server's page: it is the server's failure (exit 3), and the usual cause
                // is an --index-url that is not a simple index's root.
                const bool remote = is_http_url(jobs[i].url);
                if (remote) page.error().code = ErrorCode::network;
                page.error().hint =
                    remote ? "the server did not answer with a PEP 503/691 project page: check that the index URL "
                             "is the index's /simple/ root (e.g. https://pypi.org/simple/), or that no proxy "
                             "rewrites the answer"
                           : "the folder is not a PEP 503/691 index tree: regenerate it (e.g. with 'wheelhouse "
                             "mirror') or point at the folder of the wheels with --find-links";
            }
            strip_candidate_credentials(page);
        }
        return out;
    }

    void load_find_links(http::Reporter* reporter) {
        if (find_links_loaded) return;
        find_links_loaded = true;
        std::vector<std::pair<std::string, std::string>> remote;
        std::vector<std::size_t> remote_slot;
        for (const auto& location : options.sources.find_links) {
            const std::string label = util::redact_url(location);
            if (is_http_url(location)) {
                remote_slot.push_back(find_links_pages.size());
                remote.emplace_back(location, label);
                find_links_pages.emplace_back(Page{});
                continue;
            }
            const fs::path path = is_file_url(location) ? file_url_to_path(location) : fs::path(location);
            std::error_code ec;
            if (fs::is_directory(path, ec)) {
                find_links_pages.push_back(list_folder(path, label));
            } else if (fs::is_regular_file(path, ec)) {
                find_links_pages.push_back(local_page(path_to_file_url(path), label));
            } else {
                find_links_pages.push_back(
                    make_error(ErrorCode::not_found, fmt::format("--find-links location {} does not exist", label)));
            }
        }
        if (!remote.empty()) {
            auto pages = fetch_pages(remote, "text/html", reporter);
            for (std::size_t i = 0; i < pages.size(); ++i) find_links_pages[remote_slot[i]] = std::move(pages[i]);
        }
    }

    static auto list_folder(const fs::path& folder, const std::string& label) -> Expected<Page> {
        Page page;
        page.url = path_to_file_url(folder);
        std::error_code ec;
        std::vector<fs::path> files;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->is_regular_file(ec)) files.push_back(it->path());
        }
        if (ec) return make_error(ErrorCode::io, fmt::format("cannot list {}: {}", folder.string(), ec.message()));
        std::sort(files.begin(), files.end());  // directory order is arbitrary; keep results reproducible
        for (const auto& file : files) {
            const auto name = file.filename().string();
            if (!tags::is_wheel_filename(name) && !tags::is_sdist_filename(name)) continue;
            detail::LinkInfo link;
            link.url = path_to_file_url(file);
            link.filename = name;
            std::error_code size_ec;
            const auto size = fs::file_size(file, size_ec);
            if (!size_ec) link.size = size;
            std::error_code meta_ec;
            link.metadata.available = fs::is_regular_file(fs::path(file.string() + ".metadata"), meta_ec);
            if (auto c = detail::make_candidate(std::move(link), label, page.skipped)) {
                page.candidates.push_back(std::move(*c));
            }
        }
        return page;
    }

    auto candidates(const std::vector<std::string>& projects, http::Reporter* reporter)
        -> std::vector<Expected<ProjectFiles>> {
        std::vector<std::string> names;
        names.reserve(projects.size());
        for (const auto& p : projects) names.push_back(tags::normalize_name(p));
        const auto& indexes = options.sources.no_index ? std::vector<std::string>{} : options.sources.index_urls;
        std::vector<std::pair<std::string, std::string>> urls;
        for (const auto& name : names) {
            for (const auto& index : indexes) urls.emplace_back(project_url(index, name), util::redact_url(index));
        }
        auto pages = fetch_pages(urls, options.accept, reporter);
        load_find_links(reporter);

        std::vector<Expected<ProjectFiles>> out;
        out.reserve(names.size());
        for (std::size_t p = 0; p < names.size(); ++p) {
            ProjectFiles files;
            files.project = names[p];
            std::optional<Error> failure;
            // A find-links source lists every project's files, so only an index page's strays are noted.
            auto take = [&](const Page& page, bool is_project_page) {
                for (const auto& c : page.candidates) {
                    if (c.project() == files.project) {
                        files.candidates.push_back(c);
                    } else if (is_project_page) {
                        files.skipped.push_back(fmt::format("{}: belongs to project {}", c.filename, c.project()));
                    }
                }
                if (is_project_page) {
                    for (const auto& s : page.skipped) files.skipped.push_back(s);
                }
            };
            for (std::size_t i = 0; i < indexes.size(); ++i) {
                auto& page = pages[p * indexes.size() + i];
                if (page) {
                    take(*page, true);
                } else if (page.error().code != ErrorCode::not_found && !failure) {
                    failure = page.error();
                }
            }
            for (auto& page : find_links_pages) {
                if (page) {
                    take(*page, false);
                } else if (!failure) {
                    failure = page.error();
                }
            }
            if (failure) {
                failure->message = util::redact_urls_in(failure->message);
                out.push_back(unexpected(std::move(*failure)));
            } else {
                out.push_back(std::move(files));
            }
        }
        return out;
    }

    // ---- metadata ----------------------------------------------------------------------------------

    auto local_metadata(const Candidate& file) -> Expected<CoreMetadata> {
        const fs::path path = file_url_to_path(file.url);
        std::error_code ec;
        if (options.use_pep658 && file.metadata.available) {
            const fs::path meta = fs::path(path.string() + ".metadata");
            if (fs::is_regular_file(meta, ec)) {
                auto text = util::read_file(meta);
                if (!text) return unexpected(std::move(text).error());
                if (auto ok = check_sha256(file.metadata.hashes, util::sha256_hex(*text), file.filename + ".metadata");
                    !ok) {
                    return unexpected(std::move(ok).error());
                }
                const auto size = text->size();
                return parse_metadata(std::move(*text), file, MetadataSource::local_file, size);
            }
        }
        if (!file.is_wheel()) return sdist_error(file);
        auto reader = archive::WheelReader::open(path);
        if (!reader) return unexpected(std::move(reader).error());
        auto text = reader->read_metadata();
        if (!text) return unexpected(std::move(text).error());
        const auto size = fs::file_size(path, ec);
        return parse_metadata(std::move(*text), file, MetadataSource::local_file, ec ? 0 : size);
    }

    static auto sdist_error(const Candidate& file) -> Expected<CoreMetadata> {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("{}: a source distribution's metadata needs a build", file.filename), {},
                          "use a wheel (--only-binary) or an index that publishes PEP 658 metadata");
    }

    auto get(http::Request request) -> Expected<http::Response> {
        ++stats.requests;
        request.url = authorized(request.url);
        auto response = engine->fetch(std::move(request));
        if (response) stats.bytes += response->bytes;
        return response;
    }

    auto pep658_result(const Candidate& file, Expected<http::Response> response) -> Expected<CoreMetadata> {
        if (!response) return unexpected(std::move(response).error());
        if (auto ok = check_sha256(file.metadata.hashes, util::sha256_hex(response->body), file.filename + ".metadata");
            !ok) {
            return unexpected(std::move(ok).error());
        }
        const auto bytes = response->bytes;
        return parse_metadata(std::move(response->body), file, MetadataSource::pep658, bytes);
    }

    auto range(const std::string& url, std::uint64_t first, std::uint64_t last) -> Expected<http::Response> {
        http::Request request(url);
        request.headers.emplace_back("Range", fmt::format("bytes={}-{}", first, last));
        // A server that answers a range with more than was asked is not believed any further than that; one
        // that ignores the Range header for the tail sends the whole file (used as such, up to the memory cap).
        if (last - first + 1 > options.range_tail) request.max_body = last - first + 1;
        ++stats.range_requests;
        return get(std::move(request));
    }

    // METADATA through range requests. nullopt: the server does not do ranges (use the whole file).
    auto range_metadata(const Candidate& file) -> std::optional<Expected<CoreMetadata>> {
        http::Request head(file.url);
        head.method = http::Method::head;
        auto info = get(std::move(head));
        if (!info) return unexpected(std::move(info).error());
        const auto accept_ranges = info->header("accept-ranges");
        const auto length = info->header("content-length");
        const auto size = length ? util::parse_uint64(*length) : std::nullopt;
        if (!accept_ranges || util::to_lower(*accept_ranges).find("bytes") == std::string::npos || !size ||
            *size == 0) {
            return std::nullopt;
        }
        std::uint64_t read = 0;
        const std::uint64_t tail_start = *size > options.range_tail ? *size - options.range_tail : 0;
        auto tail = range(file.url, tail_start, *size - 1);
        if (!tail) return unexpected(std::move(tail).error());
        read += tail->bytes;
        if (tail->status != 206) {
            // The server ignored the Range header and sent everything: use it as the whole file.
            if (tail->body.size() != *size) return std::nullopt;
            return from_whole_file(file, std::move(tail->body), read);
        }
        if (tail->body.size() != *size - tail_start) return std::nullopt;
        auto where = find_central_directory(tail->body, *size);
        if (!where) return unexpected(std::move(where).error());
        // The sizes below come from the server's zip fields: they are checked before any byte is asked for.
        if (where->size > max_central_directory_bytes) {
            return too_large_in_zip(file, "central directory", where->size, max_central_directory_bytes);
        }
        std::string directory;
        if (where->offset >= tail_start) {
            directory = tail->body.substr(static_cast<std::size_t>(where->offset - tail_start),
                                          static_cast<std::size_t>(where->size));
        } else {
            auto cd = range(file.url, where->offset, where->offset + where->size - 1);
            if (!cd) return unexpected(std::move(cd).error());
            read += cd->bytes;
            if (cd->status != 206 || cd->body.size() != where->size) return std::nullopt;
            directory = std::move(cd->body);
        }
        auto members = parse_central_directory(directory, where->entries);
        if (!members) return unexpected(std::move(members).error());
        auto member = find_metadata_member(*members);
        if (!member) return unexpected(std::move(member).error());
        if (member->compressed_size > http::max_metadata_bytes ||
            member->uncompressed_size > http::max_metadata_bytes) {
            return too_large_in_zip(file, member->name, std::max(member->compressed_size, member->uncompressed_size),
                                    http::max_metadata_bytes);
        }
        // The local header's name and extra field lengths are only known once it is read; ask for the
        // header, a generous allowance for them, and the data in one request.
        const std::uint64_t want_end = std::min<std::uint64_t>(
            *size, member->local_header_offset + 30 + member->name.size() + 1024 + member->compressed_size);
        std::string bytes;
        if (member->local_header_offset >= tail_start) {
            bytes = tail->body.substr(static_cast<std::size_t>(member->local_header_offset - tail_start));
        } else {
            auto part = range(file.url, member->local_header_offset, want_end - 1);
            if (!part) return unexpected(std::move(part).error());
            read += part->bytes;
            if (part->status != 206) return std::nullopt;
            bytes = std::move(part->body);
        }
        auto text = extract_member(bytes, *member);
        if (!text) return unexpected(std::move(text).error());
        return parse_metadata(std::move(*text), file, MetadataSource::range, read);
    }

    static auto too_large_in_zip(const Candidate& file, std::string_view what, std::uint64_t size, std::uint64_t limit)
        -> Expected<CoreMetadata> {
        return make_error(ErrorCode::network,
                          fmt::format("{}: the server's zip says its {} has {} bytes, more than the {} allowed",
                                      util::redact_url(file.url), util::elide(what, 200), size, limit),
                          {},
                          "a wheel's METADATA is a few kilobytes: the index serves a broken or hostile file; do not "
                          "use this index, or pin another version");
    }

    auto from_whole_file(const Candidate& file, std::string bytes, std::uint64_t read) -> Expected<CoreMetadata> {
        if (auto ok = check_sha256(file.hashes, util::sha256_hex(bytes), file.filename); !ok) {
            return unexpected(std::move(ok).error());
        }
        auto reader = archive::WheelReader::open_buffer(std::move(bytes), file.filename);
        if (!reader) return unexpected(std::move(reader).error());
        auto text = reader->read_metadata();
        if (!text) return unexpected(std::move(text).error());
        return parse_metadata(std::move(*text), file, MetadataSource::whole_file, read);
    }

    auto whole_file_metadata(const Candidate& file) -> Expected<CoreMetadata> {
        // Hash while the bytes stream in, so the check needs no second pass.
        auto body = std::make_shared<std::string>();
        auto hasher = std::make_shared<util::Sha256>();
        auto sink = http::Sink::callback(
            [body, hasher](std::string_view chunk) {
                body->append(chunk);
                hasher->update(chunk);
                return body->size() <= (1ULL << 31);
            },
            [body, hasher] {
                body->clear();
                *hasher = util::Sha256();
            });
        auto response = get(http::Request(file.url, std::move(sink)));
        if (!response) return unexpected(std::move(response).error());
        if (auto ok = check_sha256(file.hashes, hasher->finish_hex(), file.filename); !ok) {
            return unexpected(std::move(ok).error());
        }
        auto reader = archive::WheelReader::open_buffer(std::move(*body), file.filename);
        if (!reader) return unexpected(std::move(reader).error());
        auto text = reader->read_metadata();
        if (!text) return unexpected(std::move(text).error());
        return parse_metadata(std::move(*text), file, MetadataSource::whole_file, response->bytes);
    }

    auto without_pep658(const Candidate& file) -> Expected<CoreMetadata> {
        if (!file.is_wheel()) return sdist_error(file);
        if (options.use_ranges) {
            if (auto result = range_metadata(file)) return std::move(*result);
        }
        return whole_file_metadata(file);
    }

    // ---- metadata cache ----------------------------------------------------------------------------
    // Core metadata never changes for given bytes, so it is stored by content: under the sha256 of the
    // .metadata file (checked again on every read), or, for metadata read out of a whole wheel whose bytes
    // matched the page's sha256, under that digest. Metadata read by range requests is not stored: the page's
    // digest for the wheel is only a claim until the whole file is read, and an index that lists a real
    // wheel's digest with a crafted zip would otherwise choose the dependencies of every later build that
    // shares the cache. ("wheel-sha256/", where older versions stored range reads too, is not read.)
    static constexpr std::string_view k_checked_wheel_kind = "checked-wheel-sha256";

    static auto sha256_of(const std::map<std::string, std::string>& hashes) -> std::optional<std::string> {
        auto it = hashes.find("sha256");
        if (it == hashes.end() || it->second.size() != 64 ||
            it->second.find_first_not_of("0123456789abcdef") != std::string::npos) {
            return std::nullopt;
        }
        return it->second;
    }

    auto metadata_cache_path(std::string_view kind, const std::string& hex) const -> fs::path {
        return *metadata_root / kind / hex.substr(0, 2) / hex;
    }

    auto cached_metadata(const Candidate& file) -> std::optional<CoreMetadata> {
        if (!metadata_root) return std::nullopt;
        std::optional<std::string> text;
        if (auto hex = sha256_of(file.metadata.hashes); hex && options.use_pep658 && file.metadata.available) {
            std::error_code ec;
            const auto path = metadata_cache_path("sha256", *hex);
            if (fs::is_regular_file(path, ec)) {
                auto data = util::read_file(path);
                if (data && util::sha256_hex(*data) == *hex) text = std::move(*data);
            }
        }
        // A PEP 658 file the page gives a digest for is the verifiable source: it is fetched rather than lose to
        // an entry whose origin cannot be checked now.
        const bool verifiable_pep658 =
            options.use_pep658 && file.metadata.available && sha256_of(file.metadata.hashes).has_value();
        if (!text && !verifiable_pep658) {
            if (auto hex = sha256_of(file.hashes)) {
                std::error_code ec;
                const auto path = metadata_cache_path(k_checked_wheel_kind, *hex);
                if (fs::is_regular_file(path, ec)) {
                    if (auto data = util::read_file(path)) text = std::move(*data);
                }
            }
        }
        if (!text) return std::nullopt;
        auto parsed = parse_metadata(std::move(*text), file, MetadataSource::cache, 0);
        if (!parsed) return std::nullopt;  // a damaged entry reads as absent; the network has the truth
        ++stats.metadata_cached;
        return std::move(*parsed);
    }

    void remember_metadata(const Candidate& file, const CoreMetadata& meta) {
        if (!metadata_root) return;
        std::optional<fs::path> path;
        if (meta.source == MetadataSource::pep658) {
            if (auto hex = sha256_of(file.metadata.hashes)) path = metadata_cache_path("sha256", *hex);
        } else if (meta.source == MetadataSource::whole_file) {
            // from_whole_file / whole_file_metadata checked the bytes against this digest before reading them.
            if (auto hex = sha256_of(file.hashes)) path = metadata_cache_path(k_checked_wheel_kind, *hex);
        }
        if (!path) return;
        // Only what came from the network gets here, so an entry that exists was damaged: replace it. Entries
        // under the metadata's own digest are checked when read and need no fsync; those under the wheel's
        // digest cannot be checked again when read, so they are synced.
        std::error_code ec;
        fs::create_directories(path->parent_path(), ec);
        const auto durability =
            meta.source == MetadataSource::pep658 ? util::Durability::unsynced : util::Durability::synced;
        (void)util::write_file_atomic(*path, meta.text, durability);  // unwritable cache: only costs speed
    }

    auto metadata_many(const std::vector<Candidate>& files, http::Reporter* reporter)
        -> std::vector<Expected<CoreMetadata>> {
        std::vector<std::optional<Expected<CoreMetadata>>> results(files.size());
        std::vector<http::Request> requests;
        std::vector<std::size_t> owners;
        for (std::size_t i = 0; i < files.size(); ++i) {
            const auto& file = files[i];
            if (is_file_url(file.url)) {
                results[i] = local_metadata(file);
            } else if (auto cached = cached_metadata(file)) {
                results[i] = std::move(*cached);
            } else if (options.use_pep658 && file.metadata.available) {
                owners.push_back(i);
                requests.emplace_back(authorized(file.metadata_url()));
                requests.back().max_body = http::max_metadata_bytes;
            }
        }
        stats.requests += requests.size();
        if (!requests.empty()) {
            auto responses = engine->run(std::move(requests), reporter);
            for (std::size_t k = 0; k < responses.size(); ++k) {
                auto& response = responses[k];
                if (response) stats.bytes += response->bytes;
                // A missing .metadata despite the page's promise: read the wheel instead.
                if (!response && response.error().code == ErrorCode::not_found) continue;
                results[owners[k]] = pep658_result(files[owners[k]], std::move(response));
            }
        }
        std::vector<Expected<CoreMetadata>> out;
        out.reserve(files.size());
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (results[i]) {
                out.push_back(std::move(*results[i]));
            } else {
                out.push_back(without_pep658(files[i]));
            }
            if (out.back()) remember_metadata(files[i], *out.back());
            if (!out.back()) out.back().error().message = util::redact_urls_in(out.back().error().message);
        }
        return out;
    }
};

Client::Client(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
auto Client::operator=(Client&&) noexcept -> Client& = default;

auto Client::create(http::Engine& engine, ClientOptions options) -> Expected<Client> {
    if (!options.sources.no_index && options.sources.index_urls.empty() && options.sources.find_links.empty()) {
        return make_error(ErrorCode::usage, "no index URL and no --find-links: nothing to look packages up in");
    }
    auto impl = std::make_unique<Impl>();
    impl->engine = &engine;
    if (options.cache_dir) {
        if (auto ok = cache::prepare_cache_dir(*options.cache_dir); !ok) return unexpected(std::move(ok).error());
        impl->cache.emplace(*options.cache_dir);
        impl->metadata_root = *options.cache_dir / "metadata-v1";
    }
    for (const auto& url : options.sources.index_urls) impl->remember_credentials(url);
    for (const auto& url : options.sources.find_links) impl->remember_credentials(url);
    impl->options = std::move(options);
    return Client(std::move(impl));
}

auto Client::candidates(const std::vector<std::string>& projects, http::Reporter* reporter)
    -> std::vector<Expected<ProjectFiles>> {
    return m_impl->candidates(projects, reporter);
}

auto Client::metadata(const Candidate& file) -> Expected<CoreMetadata> {
    auto results = m_impl->metadata_many({file}, nullptr);
    return std::move(results.front());
}

auto Client::metadata(const std::vector<Candidate>& files, http::Reporter* reporter)
    -> std::vector<Expected<CoreMetadata>> {
    return m_impl->metadata_many(files, reporter);
}

auto Client::stats() const -> const Stats& {
    return m_impl->stats;
}

}  // namespace wheelhouse::index
