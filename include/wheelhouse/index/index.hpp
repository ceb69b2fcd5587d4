// Package indexes: PEP 503 HTML and PEP 691 JSON project pages, PEP 592 yanked files, PEP 658/714 core
// metadata, several indexes merged with --find-links, and core metadata read with as few bytes as possible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::index {

// What pip sends: JSON preferred, HTML accepted. The response Content-Type decides the parser.
inline constexpr std::string_view accept_header =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
inline constexpr std::string_view json_content_type = "application/vnd.pypi.simple.v1+json";

enum class PageFormat { html, json };

// Whether the index publishes the file's core metadata at <url>.metadata (PEP 658 / 714), and its hashes.
struct MetadataAvailability {
    bool available = false;
    std::map<std::string, std::string> hashes;  // algorithm (lower case) -> hex digest (lower case)
    friend auto operator==(const MetadataAvailability&, const MetadataAvailability&) -> bool = default;
};

// One distribution file a project page (or a find-links source) offers.
struct Candidate {
    std::string filename;                       // from the URL's last path segment, percent-decoded
    std::string url;                            // absolute, without the #hash fragment
    std::map<std::string, std::string> hashes;  // algorithm (lower case) -> hex digest (lower case)
    std::optional<std::string> requires_python;
    bool yanked = false;
    std::optional<std::string> yanked_reason;  // a non-empty reason, when one was given
    MetadataAvailability metadata;
    std::optional<std::uint64_t> size;
    std::variant<tags::WheelFilename, tags::SdistFilename> dist;
    std::string index;  // the index URL (redacted) or find-links location it came from

    [[nodiscard]] auto is_wheel() const -> bool { return dist.index() == 0; }
    [[nodiscard]] auto wheel() const -> const tags::WheelFilename* { return std::get_if<0>(&dist); }
    [[nodiscard]] auto sdist() const -> const tags::SdistFilename* { return std::get_if<1>(&dist); }
    [[nodiscard]] auto project() const -> const std::string&;  // normalised
    [[nodiscard]] auto version() const -> const pep440::Version&;
    [[nodiscard]] auto metadata_url() const -> std::string { return url + ".metadata"; }
};

// A parsed project page (or find-links page).
struct Page {
    std::string url;  // redacted
    PageFormat format = PageFormat::html;
    std::optional<std::string> api_version;  // PEP 629 / PEP 691 meta.api-version
    std::vector<Candidate> candidates;       // in page order
    // Links that are not wheels or sdists with a valid name and version: "filename: why" (for --debug).
    std::vector<std::string> skipped;
};

// Parses a PEP 503 HTML page (libxml2, recovering from bad markup, never loading anything external).
// Relative links resolve against <base href> if present, else page_url. `index_label` fills Candidate::index.
auto parse_html_page(std::string_view html, std::string_view page_url, std::string_view index_label = {})
    -> Expected<Page>;
// Parses a PEP 691 JSON project page.
auto parse_json_page(std::string_view json, std::string_view page_url, std::string_view index_label = {})
    -> Expected<Page>;
// Chooses the parser from the Content-Type (PEP 691 JSON, else HTML).
auto parse_page(std::string_view body, std::string_view content_type, std::string_view page_url,
                std::string_view index_label = {}) -> Expected<Page>;

// RFC 3986 reference resolution (relative links on pages).
auto resolve_url(std::string_view base, std::string_view reference) -> std::string;
// %XX decoding (file names in URLs, file:// paths).
auto percent_decode(std::string_view text) -> std::string;
// The local path of a file: URL (file:///p, file://host/p, file:/p; %XX decoded, ?query and #fragment
// dropped); nothing for any other URL.
auto file_url_path(std::string_view url) -> std::optional<std::filesystem::path>;
// "<index>/<canonical-name>/".
auto project_url(std::string_view index_url, std::string_view project) -> std::string;

// Where files come from, as pip's options say.
struct Sources {
    std::vector<std::string> index_urls;  // --index-url first, then each --extra-index-url; all consulted
    std::vector<std::string> find_links;  // folders, file:// URLs, or HTML pages (http(s) or local)
    bool no_index = false;                // ignore index_urls, use find_links only
};

// `url` with the user:password of the first index or find-links URL on the same origin (scheme, host, port),
// unless it has its own, and with each secret query value that a file stored as "***" (util::stored_url:
// "?token=***") taken from the first such URL on the same origin that has that parameter. Candidates and lock
// files hold URLs without credentials; their downloads need them back, as pip matches credentials per host.
auto with_credentials(std::string_view url, const Sources& sources) -> std::string;

struct ClientOptions {
    Sources sources;
    // Cache folder for index pages (http-v1/) and core metadata (metadata-v1/, content-addressed by the sha256
    // of the .metadata file, or of the whole wheel it was read from once that wheel's bytes matched the digest;
    // metadata read by range requests is never stored, since nothing ties it to a digest); nullopt disables
    // both. cache::default_cache_dir() is the usual value.
    std::optional<std::filesystem::path> cache_dir;
    bool use_pep658 = true;                // fetch <url>.metadata when the page offers it
    bool use_ranges = true;                // read a wheel's METADATA with range requests when the server allows it
    std::uint64_t range_tail = 16 * 1024;  // bytes read from the end of a wheel to find its central directory
    // The Accept header for project pages; the default is pip's. Tests ask for HTML only to compare formats.
    std::string accept = std::string(accept_header);
};

// A project's candidate files from every source, in source order (index URLs, then find-links).
struct ProjectFiles {
    std::string project;  // canonical name
    std::vector<Candidate> candidates;
    std::vector<std::string> skipped;
};

// `cache`: read back from the cache folder's content-addressed metadata store (a previous run fetched it).
enum class MetadataSource { pep658, range, whole_file, local_file, cache };
auto to_string(MetadataSource source) -> const char*;

struct CoreMetadata {
    std::string text;
    metadata::Metadata parsed;
    MetadataSource source = MetadataSource::pep658;
    std::uint64_t bytes_read = 0;  // network or disk bytes read to get it
};

// Where a file's core metadata came from, in words for messages: "the PEP 658 file <url>.metadata", "range
// requests to <url>", ... (URLs redacted).
auto describe_metadata_source(const Candidate& file, MetadataSource source) -> std::string;

// After the download: the wheel's own METADATA must say what the resolution was told, whichever way that was
// read (a PEP 658 file the index vouches for, range requests, the cache). Compares what a resolver reads:
// Name, Version, Requires-Python, Requires-Dist and Provides-Extra. A difference is ErrorCode::verification
// (exit 4) naming the wheel, the field and both sources; `used_from` is describe_metadata_source's text.
auto check_wheel_metadata(const std::filesystem::path& wheel, std::string_view filename, const metadata::Metadata& used,
                          std::string_view used_from) -> Expected<void>;

// What the client did, for tests, benchmarks and --verbose.
struct Stats {
    std::uint64_t requests = 0;      // HTTP requests sent
    std::uint64_t bytes = 0;         // body bytes received
    std::uint64_t not_modified = 0;  // 304 answers (cache revalidated)
    std::uint64_t cache_fresh = 0;   // pages served from the cache without a request
    std::uint64_t range_requests = 0;
    std::uint64_t metadata_cached = 0;  // core metadata read from the cache folder instead of the network
};

class Client {
public:
    // The engine must outlive the client.
    static auto create(http::Engine& engine, ClientOptions options) -> Expected<Client>;
    ~Client();
    Client(Client&&) noexcept;
    auto operator=(Client&&) noexcept -> Client&;
    Client(const Client&) = delete;
    auto operator=(const Client&) -> Client& = delete;

    // One result per project, same order; the project pages are fetched in parallel. A project that an
    // index does not know (404/410) simply has no files there; any other failure is that project's error.
    auto candidates(const std::vector<std::string>& projects, http::Reporter* reporter = nullptr)
        -> std::vector<Expected<ProjectFiles>>;

    // Core metadata of one file: PEP 658 <url>.metadata first (its hash checked when the page gives one),
    // else range requests for the zip's central directory and METADATA member, else the whole file.
    auto metadata(const Candidate& file) -> Expected<CoreMetadata>;
    // The same for many files; PEP 658 files are fetched in parallel.
    auto metadata(const std::vector<Candidate>& files, http::Reporter* reporter = nullptr)
        -> std::vector<Expected<CoreMetadata>>;

    [[nodiscard]] auto stats() const -> const Stats&;

private:
    struct Impl;
    explicit Client(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// Reading METADATA out of a zip from pieces (exposed for tests): the end of the file, then what it points to.
struct ZipMember {
    std::string name;
    std::uint64_t local_header_offset = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint16_t method = 0;  // 0 stored, 8 deflate
    std::uint32_t crc32 = 0;
};
struct CentralDirectoryLocation {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint64_t entries = 0;
};
// Finds the end-of-central-directory record (zip64 aware) in `tail`, the last bytes of a file of
// `file_size` bytes.
auto find_central_directory(std::string_view tail, std::uint64_t file_size) -> Expected<CentralDirectoryLocation>;
auto parse_central_directory(std::string_view directory, std::uint64_t entries) -> Expected<std::vector<ZipMember>>;
// The single top-level "<name>.dist-info/METADATA" member.
auto find_metadata_member(const std::vector<ZipMember>& members) -> Expected<ZipMember>;
// `bytes` starts at the member's local header; returns the uncompressed, CRC-checked content.
auto extract_member(std::string_view bytes, const ZipMember& member) -> Expected<std::string>;

}  // namespace wheelhouse::index
