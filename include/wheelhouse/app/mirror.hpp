// The `mirror` pipeline: a requirement set (or locks), resolved for one or more targets, fetched through the
// cache and published as a static PEP 503 + PEP 691 index tree (with PEP 658 .metadata files) in a folder or
// an S3 prefix, incrementally: files already there are kept, pages list the union, and pages go last.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/app/deploy.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/app/resolution.hpp"
#include "wheelhouse/http/http.hpp"
#include "wheelhouse/image/image.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::app {

// One target to resolve for; the preset (when it is one) brings its Airflow constraints and essential pins.
struct MirrorTarget {
    tags::Target target;
    std::optional<image::Preset> preset;
};

struct MirrorOptions {
    InputOptions inputs;  // -r/-c, index flags, Airflow constraints; `preset` is taken from each target
    std::vector<MirrorTarget> targets;
    std::vector<std::filesystem::path> locked;  // --locked: publish exactly these locks' packages, no resolution
    std::string dest;                           // a folder, or s3://bucket/prefix
    bool prune = false;                         // pages list only this run's files; unlisted files are removed
    std::optional<std::filesystem::path> cache_dir;  // nullopt: a private temporary cache
    bool offline = false;
    TransferSettings transfer;  // jobs, --cert, --timeout (for the resolution too), the reporter
    // S3 destinations: SSE-KMS with this key (empty: the bucket's default), or none with explicit consent.
    std::string kms_key_id;
    bool no_encryption = false;
    // --advisories: OSV records (a folder, or an export zip) checked, then copied to <dest>/advisories/ so that an
    // air-gapped side gets the index and the advisory data in one refresh.
    std::optional<std::filesystem::path> advisories;
};

// One distribution file as an index page lists it.
struct IndexFile {
    std::string project;  // canonical name
    std::string filename;
    std::string version;  // from the file name
    std::string sha256;
    std::uint64_t size = 0;
    std::optional<std::string> requires_python;
    std::optional<std::string> metadata_sha256;  // of files/<filename>.metadata (PEP 658), when published
};

struct MirrorResult {
    std::string dest;                   // as given (no credentials are ever part of it)
    std::vector<IndexFile> files;       // this run's files, sorted by file name
    std::vector<std::string> written;   // keys (relative to dest) written or uploaded, in order
    std::vector<std::string> skipped;   // keys already there with the same bytes
    std::vector<std::string> pages;     // page keys replaced because their content changed
    std::vector<std::string> removed;   // --prune only
    std::vector<std::string> projects;  // every project the root page lists
    std::size_t downloaded = 0;
    std::size_t cached = 0;
    std::vector<std::string> warnings;
};

// "s3://bucket/prefix" -> (bucket, "prefix/" or ""); nullopt for anything else (a local folder).
struct S3Location {
    std::string bucket;
    std::string prefix;
};
auto parse_s3_location(std::string_view dest) -> Expected<std::optional<S3Location>>;

// The pages, as bytes. Files are listed in the given order; URLs are relative to the page
// (../../files/<filename>), so the tree can be served from any base URL.
auto project_page_html(std::string_view project, const std::vector<IndexFile>& files) -> std::string;
auto project_page_json(std::string_view project, const std::vector<IndexFile>& files) -> std::string;
auto root_page_html(const std::vector<std::string>& projects) -> std::string;
auto root_page_json(const std::vector<std::string>& projects) -> std::string;

// Reads back a simple/<project>/index.json this command wrote (or any PEP 691 page whose files sit in
// ../../files/). Errors: invalid_input.
auto parse_project_page_json(std::string_view text, std::string_view project) -> Expected<std::vector<IndexFile>>;
// Reads back simple/index.json: the project names it lists (canonicalised).
auto parse_root_page_json(std::string_view text) -> Expected<std::vector<std::string>>;

// Resolves (or reads the locks), fetches every wheel into the cache, then publishes. `connection` is needed
// for an s3:// destination only. Files are written before any page that names them; each page replacement is
// atomic, so an interrupted run leaves every page naming only files that are there with its hashes.
auto mirror(const MirrorOptions& options, const S3Connection* connection = nullptr) -> Expected<MirrorResult>;

// --json: {"dest", "written": [...], "skipped": [...], "pages": [...], "removed": [...], "projects": [...],
// "files": [{project, filename, version, sha256, size, requires_python, metadata_sha256}], "fetch": {...}}.
auto mirror_report_json(const MirrorResult& result) -> nlohmann::json;

}  // namespace wheelhouse::app
