// The mirror pipeline: collect (resolve or read locks), fetch into the cache, read what the destination holds,
// write the missing files, then the pages. mirror() at the end reads as the list of those steps.
#include "wheelhouse/app/mirror.hpp"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "wheelhouse/advisories/advisories.hpp"
#include "wheelhouse/app/build.hpp"
#include "wheelhouse/app/lock.hpp"
#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/s3/client.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view k_files = "files/";
constexpr std::string_view k_simple = "simple/";
constexpr std::string_view k_html_type = "text/html";
constexpr std::string_view k_json_type = "application/vnd.pypi.simple.v1+json";
constexpr std::string_view k_tmp_marker = ".wheelhouse-tmp-";

auto html_escape(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// Wheel and sdist names only hold [A-Za-z0-9._+-!]; anything else is percent-encoded to stay a valid URL path.
auto url_path_segment(std::string_view name) -> std::string {
    std::string out;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '.' || c == '_' ||
            c == '-' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", static_cast<unsigned>(u));
        }
    }
    return out;
}

auto file_url(const IndexFile& f) -> std::string {
    return "../../files/" + url_path_segment(f.filename);
}

auto version_from_filename(std::string_view filename) -> std::string {
    auto parts = util::split(filename, '-');
    return parts.size() >= 2 ? std::string(parts[1]) : std::string();
}

auto is_hex64(std::string_view s) -> bool {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

auto is_safe_filename(std::string_view name) -> bool {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\\') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

// ---- Destinations ----

struct PresentObject {
    std::uint64_t size = 0;
};

// Where the tree goes. Keys are relative ("files/x.whl", "simple/x/index.json").
class Destination {
public:
    Destination() = default;
    virtual ~Destination() = default;
    Destination(const Destination&) = delete;
    auto operator=(const Destination&) -> Destination& = delete;
    Destination(Destination&&) = delete;
    auto operator=(Destination&&) -> Destination& = delete;

    // Keys under files/ that exist, with their sizes.
    virtual auto list_files() -> Expected<std::map<std::string, PresentObject>> = 0;
    virtual auto read(const std::string& key) -> Expected<std::optional<std::string>> = 0;
    // The sha256 of an object that exists (nullopt: unknown, so it is written again).
    virtual auto sha256_of(const std::string& key) -> Expected<std::optional<std::string>> = 0;
    virtual auto put_file(const std::string& key, const fs::path& path) -> Expected<void> = 0;
    virtual auto put_bytes(const std::string& key, const std::string& bytes, std::string_view content_type)
        -> Expected<void> = 0;
    virtual auto remove(const std::vector<std::string>& keys) -> Expected<void> = 0;
};

auto hash_local_file(const fs::path& path) -> Expected<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, "cannot open " + path.string());
    util::Sha256 hasher;
    std::string buffer(1 << 16, '\0');
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hasher.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) return make_error(ErrorCode::io, "cannot read " + path.string());
    return hasher.finish_hex();
}

class LocalDestination final : public Destination {
public:
    explicit LocalDestination(fs::path root) : m_root(std::move(root)) {}

    auto prepare() -> Expected<void> {
        std::error_code ec;
        fs::create_directories(m_root / "files", ec);
        if (!ec) fs::create_directories(m_root / "simple", ec);
        if (ec) return make_error(ErrorCode::io, fmt::format("cannot create {}: {}", m_root.string(), ec.message()));
        // Temporaries of an interrupted run: never named by a page, so they can go.
        for (const auto& sub : {"files", "simple"}) {
            for (auto it = fs::recursive_directory_iterator(m_root / sub, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                auto name = it->path().filename().string();
                if (name.find(k_tmp_marker) != std::string::npos || name.find(".tmp-") != std::string::npos) {
                    std::error_code rm;
                    fs::remove(it->path(), rm);
                }
            }
        }
        return {};
    }

    auto list_files() -> Expected<std::map<std::string, PresentObject>> override {
        std::map<std::string, PresentObject> out;
        std::error_code ec;
        for (auto it = fs::directory_iterator(m_root / "files", ec); !ec && it != fs::directory_iterator();
             it.increment(ec)) {
            if (!it->is_regular_file()) continue;
            auto name = it->path().filename().string();
            if (name.find(k_tmp_marker) != std::string::npos) continue;
            out[std::string(k_files) + name] = PresentObject{it->file_size()};
        }
        if (ec) return make_error(ErrorCode::io, fmt::format("cannot list {}: {}", m_root.string(), ec.message()));
        return out;
    }

    auto read(const std::string& key) -> Expected<std::optional<std::string>> override {
        std::error_code ec;
        if (!fs::exists(m_root / key, ec)) return std::optional<std::string>();
        auto text = util::read_file(m_root / key);
        if (!text) return unexpected(std::move(text).error());
        return std::optional<std::string>(std::move(*text));
    }

    auto sha256_of(const std::string& key) -> Expected<std::optional<std::string>> override {
        auto digest = hash_local_file(m_root / key);
        if (!digest) return std::optional<std::string>();
        return std::optional<std::string>(std::move(*digest));
    }

    auto put_file(const std::string& key, const fs::path& path) -> Expected<void> override {
        auto target = m_root / key;
        auto temp = target.parent_path() / (std::string(k_tmp_marker) + target.filename().string());
        std::error_code ec;
        fs::create_directories(target.parent_path(), ec);
        fs::copy_file(path, temp, fs::copy_options::overwrite_existing, ec);
        if (!ec) fs::rename(temp, target, ec);
        if (ec) {
            std::error_code ignored;
            fs::remove(temp, ignored);
            return make_error(ErrorCode::io, fmt::format("cannot write {}: {}", target.string(), ec.message()));
        }
        return {};
    }

    auto put_bytes(const std::string& key, const std::string& bytes, std::string_view /*content_type*/)
        -> Expected<void> override {
        auto target = m_root / key;
        std::error_code ec;
        fs::create_directories(target.parent_path(), ec);
        if (ec) return make_error(ErrorCode::io, fmt::format("cannot create {}: {}", target.string(), ec.message()));
        return util::write_file_atomic(target, bytes);
    }

    auto remove(const std::vector<std::string>& keys) -> Expected<void> override {
        for (const auto& key : keys) {
            std::error_code ec;
            fs::remove(m_root / key, ec);
            if (ec) return make_error(ErrorCode::io, fmt::format("cannot remove {}: {}", key, ec.message()));
            auto parent = (m_root / key).parent_path();
            if (key.rfind(k_simple, 0) == 0 && parent != m_root / "simple") fs::remove(parent, ec);  // empty only
        }
        return {};
    }

private:
    fs::path m_root;
};

class S3Destination final : public Destination {
public:
    S3Destination(s3::Client client, S3Location location, s3::PutOptions put)
        : m_client(std::move(client)), m_location(std::move(location)), m_put(std::move(put)) {}

    auto list_files() -> Expected<std::map<std::string, PresentObject>> override {
        auto objects = m_client.list_objects(m_location.bucket, m_location.prefix + std::string(k_files));
        if (!objects) return unexpected(std::move(objects).error());
        std::map<std::string, PresentObject> out;
        for (const auto& o : *objects) out[o.key.substr(m_location.prefix.size())] = PresentObject{o.size};
        return out;
    }

    auto read(const std::string& key) -> Expected<std::optional<std::string>> override {
        auto head = m_client.head_object(m_location.bucket, m_location.prefix + key);
        if (!head) return unexpected(std::move(head).error());
        if (!*head) return std::optional<std::string>();
        auto body = m_client.get_object(m_location.bucket, m_location.prefix + key);
        if (!body) return unexpected(std::move(body).error());
        return std::optional<std::string>(std::move(*body));
    }

    auto sha256_of(const std::string& key) -> Expected<std::optional<std::string>> override {
        auto head = m_client.head_object(m_location.bucket, m_location.prefix + key);
        if (!head) return unexpected(std::move(head).error());
        if (!*head) return std::optional<std::string>();
        auto it = (*head)->metadata.find("sha256");
        if (it == (*head)->metadata.end()) return std::optional<std::string>();
        return std::optional<std::string>(util::to_lower(it->second));
    }

    auto put_file(const std::string& key, const fs::path& path) -> Expected<void> override {
        auto options = m_put;
        options.content_type = "application/octet-stream";
        auto put = m_client.upload_file(m_location.bucket, m_location.prefix + key, path, options);
        if (!put) return unexpected(std::move(put).error());
        return {};
    }

    auto put_bytes(const std::string& key, const std::string& bytes, std::string_view content_type)
        -> Expected<void> override {
        auto options = m_put;
        options.content_type = std::string(content_type);
        options.metadata["sha256"] = util::sha256_hex(bytes);
        auto put = m_client.put_object(m_location.bucket, m_location.prefix + key, bytes, options);
        if (!put) return unexpected(std::move(put).error());
        return {};
    }

    auto remove(const std::vector<std::string>& keys) -> Expected<void> override {
        if (keys.empty()) return {};
        std::vector<std::string> full;
        for (const auto& k : keys) full.push_back(m_location.prefix + k);
        auto result = m_client.delete_objects(m_location.bucket, full);
        if (!result) return unexpected(std::move(result).error());
        return {};
    }

private:
    s3::Client m_client;
    S3Location m_location;
    s3::PutOptions m_put;
};

// ---- Step 1: what to publish ----

auto collect(const MirrorOptions& options, std::vector<std::string>& trusted_hosts, std::vector<std::string>& warnings,
             index::Sources& sources) -> Expected<std::vector<LockedPackage>> {
    std::map<std::string, LockedPackage> by_filename;
    auto add = [&](const LockedPackage& p) -> Expected<void> {
        if (!p.is_wheel) {
            return make_error(ErrorCode::resolution,
                              fmt::format("{} {}: only a source distribution ({}) is available for the target", p.name,
                                          p.version, p.filename),
                              {}, "mirror publishes wheels only: pin a version that has a wheel for the target");
        }
        if (!is_safe_filename(p.filename)) {
            return make_error(ErrorCode::invalid_input, fmt::format("unsafe file name '{}'", p.filename));
        }
        auto [it, inserted] = by_filename.emplace(p.filename, p);
        if (!inserted && it->second.sha256.empty()) it->second.sha256 = p.sha256;
        return {};
    };
    for (const auto& path : options.locked) {
        auto lock_file = read_lock_file(path);
        if (!lock_file) return unexpected(std::move(lock_file).error());
        for (const auto& p : lock_file->packages) {
            if (auto ok = add(p); !ok) return unexpected(std::move(ok).error());
        }
    }
    if (!options.inputs.requirement_files.empty()) {
        for (const auto& target : options.targets) {
            LockOptions lock_options;
            lock_options.inputs = options.inputs;
            lock_options.inputs.preset = target.preset;
            // A mirror serves resolutions, not one image: it publishes the whole closure, image packages too.
            lock_options.inputs.full_bundle = true;
            lock_options.target = target.target;
            lock_options.transfer = options.transfer;
            auto locked = lock(lock_options);
            if (!locked) return unexpected(std::move(locked).error());
            for (const auto& w : locked->inputs.warnings) warnings.push_back(w);
            const auto& used = locked->inputs.sources;
            sources.index_urls.insert(sources.index_urls.end(), used.index_urls.begin(), used.index_urls.end());
            sources.find_links.insert(sources.find_links.end(), used.find_links.begin(), used.find_links.end());
            for (const auto& h : locked->inputs.trusted_hosts) {
                if (std::find(trusted_hosts.begin(), trusted_hosts.end(), h) == trusted_hosts.end()) {
                    trusted_hosts.push_back(h);
                }
            }
            for (const auto& p : locked->packages) {
                if (auto ok = add(p); !ok) return unexpected(std::move(ok).error());
            }
        }
    }
    std::vector<LockedPackage> out;
    for (auto& [name, p] : by_filename) out.push_back(std::move(p));
    return out;
}

// ---- Step 2: fetch ----

auto fetch_all(const MirrorOptions& options, const std::vector<LockedPackage>& packages, const index::Sources& sources,
               http::Engine& engine, const cache::WheelStore& store, MirrorResult& result)
    -> Expected<std::vector<fetch::FetchedWheel>> {
    std::vector<std::optional<fetch::FetchedWheel>> fetched(packages.size());
    std::vector<fetch::WheelRequest> requests;
    std::vector<std::size_t> remote;
    for (std::size_t i = 0; i < packages.size(); ++i) {
        const auto& p = packages[i];
        if (auto path = index::file_url_path(p.url)) {
            auto digest = hash_local_file(*path);
            if (!digest) return unexpected(std::move(digest).error());
            if (!p.sha256.empty() && *digest != util::to_lower(p.sha256)) {
                return make_error(ErrorCode::verification, fmt::format("{}: sha256 {} does not match the expected {}",
                                                                       p.filename, *digest, p.sha256));
            }
            if (auto hit = store.find(p.filename, *digest)) {
                fetched[i] = fetch::FetchedWheel{p.filename, hit->sha256, hit->size, hit->path, true, false, true};
                ++result.cached;
                continue;
            }
            if (auto check = fetch::verify_wheel(*path, p.filename); !check) {
                return unexpected(std::move(check).error());
            }
            auto stored = store.insert_file(*path, p.filename, *digest);
            if (!stored) return unexpected(std::move(stored).error());
            fetched[i] =
                fetch::FetchedWheel{p.filename, stored->sha256, stored->size, stored->path, false, false, true};
            continue;
        }
        fetch::WheelRequest request;
        request.url = index::with_credentials(p.url, sources);
        request.filename = p.filename;
        if (!p.sha256.empty()) request.sha256.push_back(p.sha256);
        request.size = p.size;
        requests.push_back(std::move(request));
        remote.push_back(i);
    }
    if (!requests.empty()) {
        fetch::FetchOptions fetch_options;
        fetch_options.offline = options.offline;
        auto report = fetch::fetch_wheels(requests, engine, store, fetch_options, options.transfer.reporter);
        if (!report.ok()) return unexpected(report.failure(options.offline));
        result.downloaded += report.stats.downloaded;
        result.cached += report.stats.cached;
        for (std::size_t k = 0; k < remote.size(); ++k) fetched[remote[k]] = std::move(*report.results[k]);
    }
    std::vector<fetch::FetchedWheel> out;
    for (auto& f : fetched) out.push_back(std::move(*f));
    return out;
}

// A fetched wheel, ready to publish: its entry and the bytes of its .metadata file.
struct Prepared {
    IndexFile file;
    fs::path wheel;
    std::string metadata;
};

auto prepare(const LockedPackage& p, const fetch::FetchedWheel& w) -> Expected<Prepared> {
    Prepared out;
    out.wheel = w.path;
    out.file.project = pep508::canonicalize_name(p.name);
    out.file.filename = p.filename;
    out.file.version = version_from_filename(p.filename);
    out.file.sha256 = w.sha256;
    out.file.size = w.size;
    auto reader = archive::WheelReader::open(w.path);
    if (!reader) return unexpected(std::move(reader).error());
    auto text = reader->read_metadata();
    if (!text) return unexpected(std::move(text).error());
    out.metadata = std::move(*text);
    out.file.metadata_sha256 = util::sha256_hex(out.metadata);
    if (auto parsed = metadata::Metadata::parse(out.metadata, p.filename); parsed && parsed->requires_python) {
        auto spec = std::string(util::trim(*parsed->requires_python));
        if (!spec.empty()) out.file.requires_python = spec;
    }
    return out;
}

// ---- Step 4: publish ----

struct Publisher {
    Destination& dest;
    MirrorResult& result;
    std::map<std::string, PresentObject> present;

    // Writes `key` unless an object with the same sha256 is there.
    auto ensure(const std::string& key, const std::string& sha256, std::uint64_t size,
                const std::function<Expected<void>()>& write) -> Expected<void> {
        if (auto it = present.find(key); it != present.end() && it->second.size == size) {
            auto existing = dest.sha256_of(key);
            if (!existing) return unexpected(std::move(existing).error());
            if (*existing && **existing == sha256) {
                result.skipped.push_back(key);
                return {};
            }
        }
        if (auto ok = write(); !ok) return unexpected(std::move(ok).error());
        result.written.push_back(key);
        present[key] = PresentObject{size};
        return {};
    }

    auto page(const std::string& key, const std::string& bytes, std::string_view type) -> Expected<void> {
        auto old = dest.read(key);
        if (!old) return unexpected(std::move(old).error());
        if (*old && **old == bytes) return {};
        if (auto ok = dest.put_bytes(key, bytes, type); !ok) return unexpected(std::move(ok).error());
        result.pages.push_back(key);
        return {};
    }
};

// --advisories: the OSV records (checked: a broken set is not mirrored) under advisories/, each file as it is.
auto publish_advisories(const fs::path& source, Publisher& publisher) -> Expected<void> {
    auto checked = advisories::Database::load(source);
    if (!checked) return unexpected(std::move(checked).error());
    std::vector<std::pair<std::string, fs::path>> files;
    std::error_code ec;
    if (fs::is_directory(source, ec)) {
        for (auto it = fs::recursive_directory_iterator(source, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec)) {
            if (it->is_regular_file(ec))
                files.emplace_back(fs::relative(it->path(), source).generic_string(), it->path());
        }
    } else {
        files.emplace_back(source.filename().string(), source);
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        const auto& [name, path] = file;
        auto bytes = util::read_file(path);
        if (!bytes) return unexpected(std::move(bytes).error());
        const auto key = "advisories/" + name;
        auto ok = publisher.ensure(key, util::sha256_hex(*bytes), bytes->size(),
                                   [&]() { return publisher.dest.put_file(key, file.second); });
        if (!ok) return unexpected(std::move(ok).error());
    }
    return {};
}

auto make_destination(const MirrorOptions& options, const S3Connection* connection)
    -> Expected<std::unique_ptr<Destination>> {
    auto s3_location = parse_s3_location(options.dest);
    if (!s3_location) return unexpected(std::move(s3_location).error());
    if (!*s3_location) {
        if (options.dest.empty()) return make_error(ErrorCode::usage, "--dest is required");
        auto local = std::make_unique<LocalDestination>(fs::path(options.dest));
        if (auto ok = local->prepare(); !ok) return unexpected(std::move(ok).error());
        return std::unique_ptr<Destination>(std::move(local));
    }
    if (connection == nullptr) return make_error(ErrorCode::internal, "an s3:// destination needs a connection");
    if (options.no_encryption && !options.kms_key_id.empty()) {
        return make_error(ErrorCode::usage, "--no-encryption and --kms-key-id contradict each other", {}, "pick one");
    }
    auto client = s3::Client::create(connection->credentials, connection->client);
    if (!client) return unexpected(std::move(client).error());
    s3::PutOptions put;
    if (options.no_encryption) {
        put.encryption = s3::Encryption::none;
        put.allow_unencrypted = true;
    } else {
        put.encryption = s3::Encryption::aws_kms;
        put.kms_key_id = options.kms_key_id;
    }
    return std::unique_ptr<Destination>(
        std::make_unique<S3Destination>(std::move(*client), std::move(**s3_location), std::move(put)));
}

class TempCache {
public:
    TempCache() = default;
    TempCache(const TempCache&) = delete;
    auto operator=(const TempCache&) -> TempCache& = delete;
    TempCache(TempCache&&) = delete;
    auto operator=(TempCache&&) -> TempCache& = delete;
    ~TempCache() {
        if (m_path.empty()) return;
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    auto create() -> Expected<fs::path> {
        std::error_code ec;
        auto base = fs::temp_directory_path(ec);
        if (ec) base = "/tmp";
        std::string pattern = (base / "wheelhouse-mirror-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) return make_error(ErrorCode::io, "cannot create a temporary cache");
        m_path = pattern;
        return m_path;
    }

private:
    fs::path m_path;
};

auto json_string(const json& j, std::string_view key) -> std::optional<std::string> {
    auto it = j.find(std::string(key));
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

auto metadata_hash(const json& file) -> std::optional<std::string> {
    for (const auto* key : {"core-metadata", "dist-info-metadata", "data-dist-info-metadata"}) {
        auto it = file.find(key);
        if (it == file.end() || !it->is_object()) continue;
        if (auto h = json_string(*it, "sha256"); h && is_hex64(util::to_lower(*h))) return util::to_lower(*h);
    }
    return std::nullopt;
}

}  // namespace

auto parse_s3_location(std::string_view dest) -> Expected<std::optional<S3Location>> {
    if (!util::starts_with_icase(dest, "s3://")) return std::optional<S3Location>();
    dest.remove_prefix(5);
    auto slash = dest.find('/');
    S3Location location;
    location.bucket = std::string(dest.substr(0, slash));
    if (location.bucket.empty()) {
        return make_error(ErrorCode::usage, "s3:// destination without a bucket", {}, "e.g. s3://my-bucket/pypi");
    }
    auto prefix = normalize_prefix(slash == std::string_view::npos ? std::string_view() : dest.substr(slash + 1));
    if (!prefix) return unexpected(std::move(prefix).error());
    location.prefix = std::move(*prefix);
    return std::optional<S3Location>(std::move(location));
}

auto project_page_html(std::string_view project, const std::vector<IndexFile>& files) -> std::string {
    std::string out = "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n";
    out += fmt::format("<title>Links for {0}</title>\n</head>\n<body>\n<h1>Links for {0}</h1>\n", html_escape(project));
    for (const auto& f : files) {
        out += fmt::format("<a href=\"{}#sha256={}\"", html_escape(file_url(f)), f.sha256);
        if (f.requires_python) out += fmt::format(" data-requires-python=\"{}\"", html_escape(*f.requires_python));
        if (f.metadata_sha256) {
            out += fmt::format(" data-dist-info-metadata=\"sha256={0}\" data-core-metadata=\"sha256={0}\"",
                               *f.metadata_sha256);
        }
        out += fmt::format(">{}</a><br>\n", html_escape(f.filename));
    }
    out += "</body>\n</html>\n";
    return out;
}

auto project_page_json(std::string_view project, const std::vector<IndexFile>& files) -> std::string {
    json doc;
    doc["meta"] = {{"api-version", "1.1"}};
    doc["name"] = std::string(project);
    auto list = json::array();
    std::set<std::string> versions;
    for (const auto& f : files) {
        json entry;
        entry["filename"] = f.filename;
        entry["url"] = file_url(f);
        entry["hashes"] = {{"sha256", f.sha256}};
        entry["requires-python"] = f.requires_python ? json(*f.requires_python) : json(nullptr);
        if (f.metadata_sha256) {
            entry["core-metadata"] = {{"sha256", *f.metadata_sha256}};
            entry["dist-info-metadata"] = {{"sha256", *f.metadata_sha256}};
        } else {
            entry["core-metadata"] = false;
            entry["dist-info-metadata"] = false;
        }
        entry["size"] = f.size;
        entry["yanked"] = false;
        list.push_back(std::move(entry));
        if (!f.version.empty()) versions.insert(f.version);
    }
    doc["files"] = std::move(list);
    doc["versions"] = versions;
    return doc.dump(1) + "\n";
}

auto root_page_html(const std::vector<std::string>& projects) -> std::string {
    std::string out =
        "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>Simple "
        "index</title>\n</head>\n<body>\n";
    for (const auto& p : projects) {
        out += fmt::format("<a href=\"{0}/\">{1}</a><br>\n", html_escape(url_path_segment(p)), html_escape(p));
    }
    out += "</body>\n</html>\n";
    return out;
}

auto root_page_json(const std::vector<std::string>& projects) -> std::string {
    json doc;
    doc["meta"] = {{"api-version", "1.1"}};
    auto list = json::array();
    for (const auto& p : projects) list.push_back({{"name", p}});
    doc["projects"] = std::move(list);
    return doc.dump(1) + "\n";
}

auto parse_project_page_json(std::string_view text, std::string_view project) -> Expected<std::vector<IndexFile>> {
    auto doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return make_error(ErrorCode::invalid_input, fmt::format("the page of {} is not JSON", project));
    }
    auto files = doc.find("files");
    if (files == doc.end() || !files->is_array()) {
        return make_error(ErrorCode::invalid_input, fmt::format("the page of {} has no files list", project));
    }
    std::vector<IndexFile> out;
    for (const auto& f : *files) {
        if (!f.is_object()) continue;
        auto filename = json_string(f, "filename");
        auto hashes = f.find("hashes");
        if (!filename || !is_safe_filename(*filename) || hashes == f.end() || !hashes->is_object()) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("the page of {} has a file without a name or hashes", project));
        }
        auto sha = json_string(*hashes, "sha256");
        if (!sha || !is_hex64(util::to_lower(*sha))) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("the page of {}: {} has no sha256", project, *filename));
        }
        IndexFile entry;
        entry.project = pep508::canonicalize_name(project);
        entry.filename = *filename;
        entry.version = version_from_filename(*filename);
        entry.sha256 = util::to_lower(*sha);
        if (auto size = f.find("size"); size != f.end() && size->is_number_unsigned()) {
            entry.size = size->get<std::uint64_t>();
        }
        entry.requires_python = json_string(f, "requires-python");
        entry.metadata_sha256 = metadata_hash(f);
        out.push_back(std::move(entry));
    }
    return out;
}

auto parse_root_page_json(std::string_view text) -> Expected<std::vector<std::string>> {
    auto doc = json::parse(text, nullptr, false);
    auto projects = doc.is_object() ? doc.find("projects") : doc.end();
    if (doc.is_discarded() || !doc.is_object() || projects == doc.end() || !projects->is_array()) {
        return make_error(ErrorCode::invalid_input, "simple/index.json has no projects list");
    }
    std::set<std::string> names;
    for (const auto& p : *projects) {
        if (!p.is_object()) continue;
        if (auto name = json_string(p, "name"); name && pep508::is_valid_name(*name)) {
            names.insert(pep508::canonicalize_name(*name));
        }
    }
    return std::vector<std::string>(names.begin(), names.end());
}

auto mirror(const MirrorOptions& options, const S3Connection* connection) -> Expected<MirrorResult> {
    if (options.inputs.requirement_files.empty() && options.locked.empty()) {
        return make_error(ErrorCode::usage, "nothing to mirror", {}, "pass -r requirements.txt, or --locked LOCK");
    }
    if (!options.inputs.requirement_files.empty() && options.targets.empty()) {
        return make_error(ErrorCode::usage, "no target", {}, "pass --target (repeatable), e.g. --target mwaa-2.10.3");
    }
    MirrorResult result;
    result.dest = options.dest;

    // The destination first: a bad --dest or bucket fails before any download.
    auto dest = make_destination(options, connection);
    if (!dest) return unexpected(std::move(dest).error());

    // Step 1: the union of the packages every target needs.
    std::vector<std::string> trusted_hosts = options.inputs.flags.trusted_hosts;
    // Where credentials come from for the downloads (the lock's URLs have none): index flags, PIP_*, and what
    // each resolution used (requirements-file -i lines included).
    index::Sources sources;
    if (auto flags = flags_from_environment(options.inputs.flags, options.inputs.environment)) {
        if (flags->index_url) sources.index_urls.push_back(*flags->index_url);
        sources.index_urls.insert(sources.index_urls.end(), flags->extra_index_urls.begin(),
                                  flags->extra_index_urls.end());
        sources.find_links = flags->find_links;
    }
    auto packages = collect(options, trusted_hosts, result.warnings, sources);
    if (!packages) return unexpected(std::move(packages).error());

    // Step 2: every wheel into the cache.
    TempCache temp_cache;
    fs::path cache_root;
    if (options.cache_dir) {
        cache_root = *options.cache_dir;
    } else {
        auto made = temp_cache.create();
        if (!made) return unexpected(std::move(made).error());
        cache_root = *made;
    }
    auto store = cache::WheelStore::open(cache_root);
    if (!store) return unexpected(std::move(store).error());
    auto engine = http::Engine::create(http_options(options.transfer, trusted_hosts));
    if (!engine) return unexpected(std::move(engine).error());
    auto fetched = fetch_all(options, *packages, sources, *engine, *store, result);
    if (!fetched) return unexpected(std::move(fetched).error());

    std::vector<Prepared> prepared;
    for (std::size_t i = 0; i < packages->size(); ++i) {
        auto p = prepare((*packages)[i], (*fetched)[i]);
        if (!p) return unexpected(std::move(p).error());
        prepared.push_back(std::move(*p));
    }

    // Step 3: what the destination holds.
    auto present = (*dest)->list_files();
    if (!present) return unexpected(std::move(present).error());
    std::set<std::string> projects;
    for (const auto& p : prepared) projects.insert(p.file.project);
    std::set<std::string> old_projects;
    if (auto root = (*dest)->read(std::string(k_simple) + "index.json"); !root) {
        return unexpected(std::move(root).error());
    } else if (*root) {
        auto names = parse_root_page_json(**root);
        if (!names) {
            result.warnings.push_back("simple/index.json is unreadable; it is rebuilt from this run's projects");
        } else {
            old_projects.insert(names->begin(), names->end());
        }
    }
    std::map<std::string, std::vector<IndexFile>> old_pages;
    for (const auto& project : projects) {
        auto text = (*dest)->read(fmt::format("{}{}/index.json", k_simple, project));
        if (!text) return unexpected(std::move(text).error());
        if (!*text) continue;
        auto files = parse_project_page_json(**text, project);
        if (!files) {
            result.warnings.push_back(fmt::format("simple/{}/index.json is unreadable; it is rebuilt", project));
            continue;
        }
        old_pages[project] = std::move(*files);
    }

    // Step 4: files first (each wheel, then its .metadata), so that no page can name a missing file.
    Publisher publisher{**dest, result, std::move(*present)};
    for (const auto& p : prepared) {
        auto key = std::string(k_files) + p.file.filename;
        auto ok = publisher.ensure(key, p.file.sha256, p.file.size, [&]() { return (*dest)->put_file(key, p.wheel); });
        if (!ok) return unexpected(std::move(ok).error());
        auto meta_key = key + ".metadata";
        ok = publisher.ensure(meta_key, *p.file.metadata_sha256, p.metadata.size(),
                              [&]() { return (*dest)->put_bytes(meta_key, p.metadata, "application/octet-stream"); });
        if (!ok) return unexpected(std::move(ok).error());
        result.files.push_back(p.file);
    }
    std::sort(result.files.begin(), result.files.end(),
              [](const IndexFile& a, const IndexFile& b) { return a.filename < b.filename; });
    if (options.advisories) {
        if (auto ok = publish_advisories(*options.advisories, publisher); !ok) return unexpected(std::move(ok).error());
    }

    // Step 5: project pages (JSON then HTML), then the root pages.
    std::set<std::string> listed_files;
    for (const auto& project : projects) {
        std::map<std::string, IndexFile> entries;
        if (!options.prune) {
            for (const auto& f : old_pages[project]) {
                // An old entry whose file is gone (removed by hand) would send installers to a 404.
                if (publisher.present.count(std::string(k_files) + f.filename) == 0) continue;
                entries[f.filename] = f;
            }
        }
        for (const auto& f : result.files) {
            if (f.project == project) entries[f.filename] = f;
        }
        std::vector<IndexFile> list;
        for (auto& [name, f] : entries) {
            listed_files.insert(name);
            list.push_back(std::move(f));
        }
        auto base = fmt::format("{}{}/", k_simple, project);
        if (auto ok = publisher.page(base + "index.json", project_page_json(project, list), k_json_type); !ok) {
            return unexpected(std::move(ok).error());
        }
        if (auto ok = publisher.page(base + "index.html", project_page_html(project, list), k_html_type); !ok) {
            return unexpected(std::move(ok).error());
        }
    }
    std::set<std::string> all_projects = projects;
    if (!options.prune) all_projects.insert(old_projects.begin(), old_projects.end());
    result.projects.assign(all_projects.begin(), all_projects.end());
    if (auto ok = publisher.page(std::string(k_simple) + "index.json", root_page_json(result.projects), k_json_type);
        !ok) {
        return unexpected(std::move(ok).error());
    }
    if (auto ok = publisher.page(std::string(k_simple) + "index.html", root_page_html(result.projects), k_html_type);
        !ok) {
        return unexpected(std::move(ok).error());
    }

    // Step 6 (--prune): only now that no page names them, remove the projects and files this run left out.
    if (options.prune) {
        std::vector<std::string> remove;
        for (const auto& project : old_projects) {
            if (projects.count(project) != 0) continue;
            remove.push_back(fmt::format("{}{}/index.html", k_simple, project));
            remove.push_back(fmt::format("{}{}/index.json", k_simple, project));
        }
        for (const auto& [key, object] : publisher.present) {
            auto name = key.substr(k_files.size());
            auto wheel = name.size() > 9 && name.ends_with(".metadata") ? name.substr(0, name.size() - 9) : name;
            if (listed_files.count(wheel) == 0) remove.push_back(key);
        }
        if (auto ok = (*dest)->remove(remove); !ok) return unexpected(std::move(ok).error());
        result.removed = std::move(remove);
    }
    return result;
}

auto mirror_report_json(const MirrorResult& result) -> nlohmann::json {
    auto files = json::array();
    for (const auto& f : result.files) {
        files.push_back({{"project", f.project},
                         {"filename", f.filename},
                         {"version", f.version},
                         {"sha256", f.sha256},
                         {"size", f.size},
                         {"requires_python", f.requires_python ? json(*f.requires_python) : json(nullptr)},
                         {"metadata_sha256", f.metadata_sha256 ? json(*f.metadata_sha256) : json(nullptr)}});
    }
    return {{"dest", result.dest},
            {"written", result.written},
            {"skipped", result.skipped},
            {"pages", result.pages},
            {"removed", result.removed},
            {"projects", result.projects},
            {"files", std::move(files)},
            {"warnings", result.warnings},
            {"fetch", {{"downloaded", result.downloaded}, {"cached", result.cached}}}};
}

}  // namespace wheelhouse::app
