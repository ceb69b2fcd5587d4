// A bundle is read the way pip's zipfile reads it: from the central directory (seekable mode).
#include "wheelhouse/archive/zip_reader.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <functional>
#include <memory>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "temp_output.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::archive {

namespace {

struct ReadFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
using ReadPtr = std::unique_ptr<struct archive, ReadFree>;

auto archive_message(struct archive* a) -> std::string {
    const char* s = archive_error_string(a);
    return s != nullptr ? std::string(s) : std::string("unknown libarchive error");
}

// The zips read here are bundles (plugins.zip) that `verify` checks before they are deployed.
constexpr std::string_view k_damaged_hint =
    "the zip is damaged or incomplete (an interrupted copy?); build it again with 'wheelhouse build'";
constexpr std::string_view k_malformed_hint =
    "the zip is malformed or was tampered with; do not deploy it, build it again with 'wheelhouse build'";
constexpr std::string_view k_bomb_hint =
    "the zip is not a normal bundle (a zip bomb?); do not deploy it, build it again with 'wheelhouse build'";
constexpr std::string_view k_changed_hint =
    "the zip changed while it was read, or its index disagrees with its content; build it again with 'wheelhouse "
    "build'";

auto bad_zip(const std::filesystem::path& path, std::string message, std::string_view hint) -> Unexpected<Error> {
    return make_error(ErrorCode::verification, std::move(message), Location{path.string(), 0, 0}, std::string(hint));
}

auto not_a_file(const std::filesystem::path& path, const Entry& entry) -> Unexpected<Error> {
    return bad_zip(
        path,
        fmt::format("member '{}' is a {}, not a regular file", entry.name, entry.is_dir ? "folder" : "symbolic link"),
        k_malformed_hint);
}

auto open_archive(const std::filesystem::path& path) -> Expected<ReadPtr> {
    ReadPtr a(archive_read_new());
    if (!a) return make_error(ErrorCode::internal, "libarchive: out of memory");
    archive_read_support_format_zip_seekable(a.get());
    if (archive_read_open_filename(a.get(), path.c_str(), 256 * 1024) != ARCHIVE_OK) {
        return bad_zip(path, fmt::format("not a readable zip archive: {}", archive_message(a.get())), k_damaged_hint);
    }
    return a;
}

auto entry_name(struct archive_entry* e) -> std::string {
    const char* utf8 = archive_entry_pathname_utf8(e);
    if (utf8 == nullptr) utf8 = archive_entry_pathname(e);
    return utf8 != nullptr ? std::string(utf8) : std::string();
}

auto strip_trailing_slash(std::string name) -> std::string {
    while (!name.empty() && name.back() == '/') name.pop_back();
    return name;
}

// Finds `name` and hands its bytes to `consume` chunk by chunk, stopping past `limit` bytes.
auto stream_member(const std::filesystem::path& path, std::string_view name, std::uint64_t limit,
                   const std::function<Expected<void>(const char*, std::size_t)>& consume) -> Expected<std::uint64_t> {
    auto a = open_archive(path);
    if (!a) return unexpected(std::move(a).error());
    struct archive_entry* e = nullptr;
    for (;;) {
        int rc = archive_read_next_header(a->get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return bad_zip(path, fmt::format("corrupt zip archive: {}", archive_message(a->get())), k_damaged_hint);
        }
        if (strip_trailing_slash(entry_name(e)) != name) {
            archive_read_data_skip(a->get());
            continue;
        }
        std::uint64_t total = 0;
        std::vector<char> buffer(256 * 1024);
        for (;;) {
            auto n = archive_read_data(a->get(), buffer.data(), buffer.size());
            if (n == 0) break;
            if (n < 0) {
                return bad_zip(path, fmt::format("cannot read member '{}': {}", name, archive_message(a->get())),
                               k_damaged_hint);
            }
            total += static_cast<std::uint64_t>(n);
            if (total > limit) {
                return bad_zip(path, fmt::format("member '{}' expands beyond the {} byte limit", name, limit),
                               k_bomb_hint);
            }
            auto ok = consume(buffer.data(), static_cast<std::size_t>(n));
            if (!ok) return unexpected(std::move(ok).error());
        }
        return total;
    }
    return bad_zip(path, fmt::format("member '{}' is listed but was not found on re-reading", name), k_changed_hint);
}

}  // namespace

auto ZipReader::open(const std::filesystem::path& path, Limits limits) -> Expected<ZipReader> {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return make_error(ErrorCode::not_found, "zip file not found (or not a regular file)",
                          Location{path.string(), 0, 0}, "check the path of the zip file");
    }
    auto a = open_archive(path);
    if (!a) return unexpected(std::move(a).error());
    ZipReader reader;
    reader.m_path = path;
    reader.m_limits = limits;
    std::set<std::string> seen;
    std::uint64_t total = 0;
    struct archive_entry* e = nullptr;
    for (;;) {
        int rc = archive_read_next_header(a->get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return bad_zip(path, fmt::format("corrupt zip archive: {}", archive_message(a->get())), k_damaged_hint);
        }
        auto raw = entry_name(e);
        if (!is_safe_member_name(raw)) {
            return bad_zip(path,
                           fmt::format("member '{}' has an unsafe path (absolute or with '..'): it would be unpacked "
                                       "outside the target folder",
                                       raw),
                           k_malformed_hint);
        }
        Entry entry;
        entry.name = strip_trailing_slash(raw);
        auto type = archive_entry_filetype(e);
        entry.is_dir = type == AE_IFDIR || raw.back() == '/';
        entry.is_symlink = type == AE_IFLNK;
        entry.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & 07777U;
        auto size = archive_entry_size_is_set(e) != 0 ? archive_entry_size(e) : 0;
        entry.size = size > 0 ? static_cast<std::uint64_t>(size) : 0U;
        if (!seen.insert(entry.name).second) {
            return bad_zip(path, fmt::format("member '{}' appears twice in the zip", entry.name), k_malformed_hint);
        }
        if (reader.m_entries.size() >= limits.max_entries) {
            return bad_zip(path, fmt::format("zip has more than {} entries", limits.max_entries), k_bomb_hint);
        }
        if (entry.size > limits.max_member_size) {
            return bad_zip(path,
                           fmt::format("member '{}' is {} bytes, over the {} byte limit", entry.name, entry.size,
                                       limits.max_member_size),
                           k_bomb_hint);
        }
        total += entry.size;
        if (total > limits.max_total_size) {
            return bad_zip(path, fmt::format("zip expands to more than {} bytes", limits.max_total_size), k_bomb_hint);
        }
        reader.m_entries.push_back(std::move(entry));
        archive_read_data_skip(a->get());
    }
    return reader;
}

auto ZipReader::find(std::string_view name) const -> const Entry* {
    for (const auto& e : m_entries) {
        if (e.name == name) return &e;
    }
    return nullptr;
}

auto ZipReader::read(std::string_view name, std::optional<std::uint64_t> max_bytes) const -> Expected<std::string> {
    const auto* known = find(name);
    if (known == nullptr) {
        return make_error(ErrorCode::not_found, fmt::format("the zip has no member '{}'", name),
                          Location{m_path.string(), 0, 0});
    }
    if (known->is_dir || known->is_symlink) return not_a_file(m_path, *known);
    std::string out;
    const auto limit = std::min(m_limits.max_member_size, max_bytes.value_or(m_limits.max_member_size));
    auto n = stream_member(m_path, name, limit, [&](const char* data, std::size_t size) {
        out.append(data, size);
        return Expected<void>{};
    });
    if (!n) return unexpected(std::move(n).error());
    return out;
}

auto ZipReader::extract(std::string_view name, const std::filesystem::path& destination) const
    -> Expected<ExtractedFile> {
    const auto* known = find(name);
    if (known == nullptr) {
        return make_error(ErrorCode::not_found, fmt::format("the zip has no member '{}'", name),
                          Location{m_path.string(), 0, 0});
    }
    if (known->is_dir || known->is_symlink) return not_a_file(m_path, *known);
    detail::TempOutput temp;
    auto created = temp.create(destination);
    if (!created) return unexpected(std::move(created).error());
    util::Sha256 sha;
    int fd = temp.fd();
    auto n = stream_member(m_path, name, m_limits.max_member_size, [&](const char* data, std::size_t size) {
        std::size_t done = 0;
        while (done < size) {
            auto w = ::write(fd, data + done, size - done);
            if (w < 0) {
                if (errno == EINTR) continue;
                return Expected<void>(
                    detail::make_io_error(fmt::format("cannot write '{}' (member '{}' of the zip): {}",
                                                      destination.string(), name, std::strerror(errno)),
                                          destination));
            }
            done += static_cast<std::size_t>(w);
        }
        sha.update(data, size);
        return Expected<void>{};
    });
    if (!n) return unexpected(std::move(n).error());
    auto committed = temp.commit(destination);
    if (!committed) return unexpected(std::move(committed).error());
    return ExtractedFile{*n, sha.finish_hex()};
}

}  // namespace wheelhouse::archive
