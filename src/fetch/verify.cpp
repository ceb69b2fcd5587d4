// The wheel check: structure through archive::WheelReader, then one streaming pass over every member that
// hashes it and compares with RECORD, so a wheel is read once whatever its size.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <map>
#include <memory>
#include <set>

#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::fetch {
namespace {

struct ArchiveFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

struct DigestFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// What the user can do, by kind of defect.
constexpr std::string_view k_altered_hint =
    "the wheel was altered after it was built, or the download was corrupted; fetch it again from a trusted index";
constexpr std::string_view k_damaged_hint =
    "the file is damaged or not a wheel (an interrupted or corrupted download?); fetch it again from a trusted index";
constexpr std::string_view k_malformed_hint =
    "the wheel is malformed or malicious; report it to the project and do not bundle it";
constexpr std::string_view k_bomb_hint = "the file is not a normal wheel; do not install it";

auto failure(std::string_view filename, std::string message, std::string_view hint) -> Unexpected<Error> {
    return make_error(ErrorCode::verification, std::move(message), Location{std::string(filename), 0, 0},
                      std::string(hint));
}

// Errors from the reader name the file on disk (maybe a temporary folder); the user knows the wheel's name.
auto relabel(Error error, std::string_view filename) -> Unexpected<Error> {
    // Whatever is wrong inside a downloaded wheel (a missing member, METADATA that does not parse) is a failed
    // verification (exit 4), not an input error of the user's.
    if (error.code != ErrorCode::internal && error.code != ErrorCode::io) error.code = ErrorCode::verification;
    if (!error.location.file.empty()) {
        const auto colon = error.location.file.find(".whl:");
        error.location.file = colon == std::string::npos
                                  ? std::string(filename)
                                  : std::string(filename) + error.location.file.substr(colon + 4);
    }
    return unexpected(std::move(error));
}

auto strip_trailing_slash(std::string name) -> std::string {
    while (!name.empty() && name.back() == '/') name.pop_back();
    return name;
}

auto entry_name(struct archive_entry* e) -> std::string {
    const char* utf8 = archive_entry_pathname_utf8(e);
    if (utf8 == nullptr) utf8 = archive_entry_pathname(e);
    return utf8 != nullptr ? std::string(utf8) : std::string();
}

}  // namespace

auto verify_wheel(const std::filesystem::path& path, std::string_view filename, const archive::Limits& limits)
    -> Expected<WheelCheck> {
    try {
        auto parsed_name = tags::WheelFilename::parse(filename);
        if (!parsed_name) {
            return failure(filename, "not a valid wheel file name: " + parsed_name.error().message,
                           "wheel file names have the form name-version(-build)-python-abi-platform.whl; use the "
                           "name the index gives the file");
        }

        auto reader = archive::WheelReader::open(path, limits);
        if (!reader) return relabel(std::move(reader).error(), filename);
        for (const auto& entry : reader->entries()) {
            if (entry.is_symlink) {
                return failure(filename, fmt::format("member '{}' is a symbolic link", entry.name), k_malformed_hint);
            }
        }
        const auto& dist_info = reader->dist_info();

        auto record = reader->read_record();
        if (!record) return relabel(std::move(record).error(), filename);
        auto metadata_text = reader->read_metadata();
        if (!metadata_text) return relabel(std::move(metadata_text).error(), filename);
        auto metadata =
            metadata::Metadata::parse(*metadata_text, std::string(filename) + ":" + dist_info + "/METADATA");
        if (!metadata) return relabel(std::move(metadata).error(), filename);

        WheelCheck check;
        check.name = metadata->name;
        check.version = metadata->version;
        if (tags::normalize_name(metadata->name) != parsed_name->name()) {
            return failure(filename,
                           fmt::format("{}/METADATA names project '{}' but the file name says '{}'", dist_info,
                                       metadata->name, parsed_name->raw_name()),
                           k_malformed_hint);
        }
        auto version = metadata->parsed_version();
        if (!version || !(*version == parsed_name->version())) {
            return failure(filename,
                           fmt::format("{}/METADATA has version '{}' but the file name says '{}'", dist_info,
                                       metadata->version, parsed_name->version_text()),
                           k_malformed_hint);
        }

        const std::string record_name = dist_info + "/RECORD";
        const std::set<std::string> unlisted_ok = {record_name, record_name + ".jws", record_name + ".p7s"};
        std::map<std::string, const archive::RecordEntry*> listed;
        for (const auto& row : *record) {
            if (!listed.emplace(row.path, &row).second) {
                return failure(filename,
                               fmt::format("RECORD lists the same path '{}' twice (line {})", row.path, row.line),
                               k_malformed_hint);
            }
        }

        ArchivePtr a(archive_read_new());
        if (!a) return make_error(ErrorCode::internal, "libarchive: out of memory");
        archive_read_support_format_zip_seekable(a.get());
        if (archive_read_open_filename(a.get(), path.c_str(), 256 * 1024) != ARCHIVE_OK) {
            return failure(filename, fmt::format("not a readable zip archive: {}", archive_error_string(a.get())),
                           k_damaged_hint);
        }
        std::unique_ptr<EVP_MD_CTX, DigestFree> ctx(EVP_MD_CTX_new());
        if (!ctx) return make_error(ErrorCode::internal, "OpenSSL: out of memory");
        std::set<std::string> seen;
        std::vector<char> buffer(256 * 1024);
        struct archive_entry* e = nullptr;
        for (;;) {
            const int rc = archive_read_next_header(a.get(), &e);
            if (rc == ARCHIVE_EOF) break;
            if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
                return failure(filename, fmt::format("corrupt zip archive: {}", archive_error_string(a.get())),
                               k_damaged_hint);
            }
            const auto raw = entry_name(e);
            const auto name = strip_trailing_slash(raw);
            const auto type = archive_entry_filetype(e);
            if (type == AE_IFLNK) {
                return failure(filename, fmt::format("member '{}' is a symbolic link", name), k_malformed_hint);
            }
            if (type == AE_IFDIR || (!raw.empty() && raw.back() == '/')) continue;

            const auto it = listed.find(name);
            const bool exempt = unlisted_ok.count(name) != 0;
            if (it == listed.end() && !exempt) {
                return failure(filename, fmt::format("member '{}' is not listed in RECORD", name), k_altered_hint);
            }
            const archive::RecordEntry* row = it == listed.end() ? nullptr : it->second;
            const bool check_hash = row != nullptr && !row->hash_algorithm.empty();
            if (row != nullptr && !exempt && !check_hash) {
                return failure(filename, fmt::format("RECORD has no hash for member '{}' (line {})", name, row->line),
                               k_altered_hint);
            }
            const EVP_MD* md = nullptr;
            if (check_hash) {
                md = EVP_get_digestbyname(row->hash_algorithm.c_str());
                if (md == nullptr) {
                    return failure(filename,
                                   fmt::format("RECORD uses a hash '{}' for member '{}' that this build cannot compute",
                                               row->hash_algorithm, name),
                                   "use a wheel whose RECORD uses sha256, or report it to the wheelhouse project");
                }
                EVP_DigestInit_ex(ctx.get(), md, nullptr);
            }
            std::uint64_t size = 0;
            for (;;) {
                const auto n = archive_read_data(a.get(), buffer.data(), buffer.size());
                if (n == 0) break;
                if (n < 0) {
                    return failure(filename,
                                   fmt::format("cannot read member '{}': {}", name, archive_error_string(a.get())),
                                   k_damaged_hint);
                }
                size += static_cast<std::uint64_t>(n);
                check.uncompressed_bytes += static_cast<std::uint64_t>(n);
                if (size > limits.max_member_size) {
                    return failure(
                        filename,
                        fmt::format("member '{}' expands beyond the {} byte limit", name, limits.max_member_size),
                        k_bomb_hint);
                }
                if (check.uncompressed_bytes > limits.max_total_size) {
                    return failure(filename, fmt::format("wheel expands to more than {} bytes", limits.max_total_size),
                                   k_bomb_hint);
                }
                if (check_hash) EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
            }
            ++check.files;
            seen.insert(name);
            if (row == nullptr) continue;
            if (row->size && *row->size != size) {
                return failure(filename,
                               fmt::format("RECORD says {} bytes for member '{}' but it has {} (line {})", *row->size,
                                           name, size, row->line),
                               k_altered_hint);
            }
            if (check_hash) {
                unsigned char digest[EVP_MAX_MD_SIZE];
                unsigned int length = 0;
                EVP_DigestFinal_ex(ctx.get(), digest, &length);
                if (util::to_hex(digest, length) != row->hash_hex) {
                    return failure(filename,
                                   fmt::format("{} of member '{}' does not match RECORD (line {})", row->hash_algorithm,
                                               name, row->line),
                                   k_altered_hint);
                }
            }
        }
        for (const auto& [listed_path, row] : listed) {
            if (seen.count(listed_path) == 0 && unlisted_ok.count(listed_path) == 0) {
                return failure(
                    filename,
                    fmt::format("RECORD lists '{}' but the wheel does not have it (line {})", listed_path, row->line),
                    k_altered_hint);
            }
        }
        return check;
    } catch (const std::exception& ex) {
        return make_error(ErrorCode::internal, fmt::format("checking {}: {}", filename, ex.what()));
    }
}

}  // namespace wheelhouse::fetch
