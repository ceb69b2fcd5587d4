// Determinism rests on what libarchive's zip writer puts in each header: the DOS time (derived from
// the entry's mtime through localtime), the "UT" extra field (only the times that are set), the
// "ux" extra field (uid/gid, always written) and the external attributes (the mode). Leaving mtime
// unset makes the DOS time clamp to 1980-01-01 00:00:00 and the UT field empty on any host;
// uid/gid stay 0 and no owner names are set. Names are written as UTF-8 whatever the locale.
#include "wheelhouse/archive/zip_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "temp_output.hpp"
#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::archive {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_chunk = 256 * 1024;
constexpr int k_file_mode = 0644;
constexpr int k_dir_mode = 0755;

struct WriteFree {
    void operator()(struct archive* a) const { archive_write_free(a); }
};
using WritePtr = std::unique_ptr<struct archive, WriteFree>;

struct EntryFree {
    void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryFree>;

auto archive_message(struct archive* a) -> std::string {
    const char* s = archive_error_string(a);
    return s != nullptr ? std::string(s) : std::string("unknown libarchive error");
}

constexpr std::string_view k_write_hint = "check that the output folder is writable and the disk is not full";
constexpr std::string_view k_read_hint = "check that the file exists and is readable";
constexpr std::string_view k_changed_hint =
    "another program changed the file while wheelhouse was reading it; let it finish, then run the command again";

auto io_error(std::string message, const fs::path& where, std::string_view hint = k_write_hint) -> Unexpected<Error> {
    return make_error(ErrorCode::io, std::move(message), Location{where.string(), 0, 0}, std::string(hint));
}

// Where libarchive's output goes: the temporary file, hashed and counted on the way.
struct Sink {
    int fd = -1;
    util::Sha256 sha;
    std::uint64_t size = 0;
    bool abandoned = false;  // after a failure: libarchive still flushes on free, into nothing
};

// The archive and its sink, freed in the right order: an archive freed before being closed
// flushes its buffers, which must not reach a half-written file (or a destroyed sink).
struct Session {
    Sink sink;
    WritePtr archive;
    bool closed = false;

    Session() = default;
    Session(const Session&) = delete;
    auto operator=(const Session&) -> Session& = delete;
    Session(Session&&) = delete;
    auto operator=(Session&&) -> Session& = delete;
    ~Session() {
        if (!closed) sink.abandoned = true;
        archive.reset();
    }
};

auto sink_write(struct archive* a, void* context, const void* buffer, std::size_t length) -> la_ssize_t {
    auto* sink = static_cast<Sink*>(context);
    if (sink->abandoned) return static_cast<la_ssize_t>(length);
    const auto* bytes = static_cast<const char*>(buffer);
    std::size_t done = 0;
    while (done < length) {
        auto n = ::write(sink->fd, bytes + done, length - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            archive_set_error(a, errno, "write failed: %s", std::strerror(errno));
            return -1;
        }
        done += static_cast<std::size_t>(n);
    }
    sink->sha.update(bytes, length);
    sink->size += length;
    return static_cast<la_ssize_t>(length);
}

auto check_name(const std::string& name, bool directory) -> Expected<void> {
    auto bad = [&](std::string why) {
        return make_error(ErrorCode::invalid_input, fmt::format("cannot add '{}' to the zip: {}", name, why), {},
                          "rename the file or folder");
    };
    if (!is_safe_member_name(name)) return bad("the name must be relative, '/'-separated and without '.' or '..'");
    if (!util::is_valid_utf8(name)) return bad("the name is not valid UTF-8");
    if (name.size() > 0xffff) return bad("the name is longer than a zip header can hold");
    if (directory != (name.back() == '/')) {
        return bad(directory ? "a folder name must end with '/'" : "a file name must not end with '/'");
    }
    return {};
}

auto set_compression(struct archive* a, Compression compression) -> int {
    return compression == Compression::store ? archive_write_zip_set_compression_store(a)
                                             : archive_write_zip_set_compression_deflate(a);
}

auto write_header(struct archive* a, const ZipMember& member, const ZipOptions& options, const fs::path& destination)
    -> Expected<void> {
    EntryPtr entry(archive_entry_new());
    if (!entry) return make_error(ErrorCode::internal, "libarchive: out of memory");
    archive_entry_set_pathname_utf8(entry.get(), member.name.c_str());
    if (member.is_directory()) {
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), k_dir_mode);
    } else {
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), k_file_mode);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.size));
    }
    if (options.mtime) archive_entry_set_mtime(entry.get(), static_cast<time_t>(*options.mtime), 0);
    if (set_compression(a, member.is_directory() ? Compression::store : member.compression) != ARCHIVE_OK) {
        return make_error(ErrorCode::internal, fmt::format("libarchive: {}", archive_message(a)));
    }
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
        return io_error(fmt::format("cannot write the header of '{}': {}", member.name, archive_message(a)),
                        destination);
    }
    return {};
}

auto write_data(struct archive* a, const char* data, std::size_t size, const std::string& name,
                const fs::path& destination) -> Expected<void> {
    while (size > 0) {
        auto n = archive_write_data(a, data, size);
        if (n <= 0) {
            return io_error(fmt::format("cannot write '{}' to the zip: {}", name, archive_message(a)), destination);
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return {};
}

auto write_file_member(struct archive* a, const ZipMember& member, const fs::path& path, std::vector<char>& buffer,
                       const fs::path& destination) -> Expected<void> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_error(fmt::format("cannot open '{}' to add it to the zip as '{}': {}", path.string(), member.name,
                                    std::strerror(errno)),
                        path, k_read_hint);
    }
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != member.size) {
        return io_error(
            fmt::format("'{}' changed while the zip was written (it was {} bytes)", path.string(), member.size), path,
            k_changed_hint);
    }
    std::uint64_t total = 0;
    for (;;) {
        auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)), path,
                            k_read_hint);
        }
        if (n == 0) break;
        total += static_cast<std::uint64_t>(n);
        if (total > member.size) break;
        auto ok = write_data(a, buffer.data(), static_cast<std::size_t>(n), member.name, destination);
        if (!ok) return ok;
    }
    if (total != member.size) {
        return io_error(
            fmt::format("'{}' changed size while the zip was written (expected {} bytes)", path.string(), member.size),
            path, k_changed_hint);
    }
    return {};
}

// The members in writing order, with the folders that were generated for them.
struct Plan {
    std::vector<ZipMember> folders;  // owns the generated folder members (moving keeps pointers valid)
    std::vector<const ZipMember*> order;
};

// Sorted members plus the folders that hold them; a name used as both a file and a folder is an error.
auto complete_and_sort(const std::vector<ZipMember>& members, bool parent_directories) -> Expected<Plan> {
    Plan plan;
    auto& synthesized = plan.folders;
    std::map<std::string, const ZipMember*> by_name;
    for (const auto& m : members) by_name.emplace(m.name, &m);
    std::set<std::string> needed;
    for (const auto& m : members) {
        auto pos = m.name.find('/');
        while (pos != std::string::npos && pos + 1 < m.name.size()) {
            auto folder = m.name.substr(0, pos + 1);
            auto as_file = m.name.substr(0, pos);
            if (by_name.count(as_file) != 0) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("'{}' is both a file and the folder of '{}' in the zip", as_file, m.name),
                                  {}, "rename or remove one of the two files");
            }
            if (parent_directories && by_name.count(folder) == 0) needed.insert(folder);
            pos = m.name.find('/', pos + 1);
        }
    }
    synthesized.reserve(needed.size());
    for (const auto& folder : needed) {
        synthesized.push_back(ZipMember{folder, std::monostate{}, 0, Compression::store});
        by_name.emplace(folder, &synthesized.back());
    }
    plan.order.reserve(by_name.size());
    for (const auto& [name, member] : by_name) plan.order.push_back(member);  // std::map: bytewise order
    return plan;
}

}  // namespace

auto default_compression(std::string_view name) -> Compression {
    return name.size() >= 4 && util::iequals(name.substr(name.size() - 4), ".whl") ? Compression::store
                                                                                   : Compression::deflate;
}

auto source_date_epoch() -> Expected<std::optional<std::int64_t>> {
    const char* value = std::getenv("SOURCE_DATE_EPOCH");
    if (value == nullptr || *value == '\0') return std::optional<std::int64_t>{};
    std::string_view text(value);
    auto digits = util::parse_uint64(text);
    // Zip's DOS field cannot go past 2107; keep to what time_t and the UT field (32 bits) hold.
    if (!digits || *digits > 0xffffffffULL) {
        auto e = make_error(ErrorCode::invalid_input, "SOURCE_DATE_EPOCH is not a number of seconds since 1970", {},
                            "set it to a non-negative integer such as $(git log -1 --format=%ct), or unset it");
        e.error.context = std::string(text);
        return e;
    }
    return std::optional<std::int64_t>{static_cast<std::int64_t>(*digits)};
}

ZipWriter::ZipWriter(ZipOptions options) : m_options(options) {}

auto ZipWriter::contains(std::string_view name) const -> bool {
    return m_names.find(name) != m_names.end();
}

auto ZipWriter::add(ZipMember member) -> Expected<void> {
    auto ok = check_name(member.name, member.is_directory());
    if (!ok) return ok;
    if (contains(member.name)) {
        return make_error(ErrorCode::invalid_input, fmt::format("'{}' is added to the zip twice", member.name), {},
                          "rename or remove one of the two files");
    }
    m_names.insert(member.name);
    m_members.push_back(std::move(member));
    return {};
}

auto ZipWriter::add_file(std::string name, const fs::path& source, std::optional<Compression> compression)
    -> Expected<void> {
    std::error_code ec;
    auto status = fs::status(source, ec);
    if (ec || !fs::is_regular_file(status)) {
        return make_error(ErrorCode::not_found,
                          fmt::format("cannot add '{}' to the zip as '{}': it does not exist or is not a regular file",
                                      source.string(), name),
                          Location{source.string(), 0, 0}, std::string(k_read_hint));
    }
    auto size = fs::file_size(source, ec);
    if (ec) {
        return io_error(fmt::format("cannot read the size of '{}': {}", source.string(), ec.message()), source,
                        k_read_hint);
    }
    auto how = compression.value_or(default_compression(name));
    return add(ZipMember{std::move(name), source, size, how});
}

auto ZipWriter::add_bytes(std::string name, std::string content, std::optional<Compression> compression)
    -> Expected<void> {
    auto how = compression.value_or(default_compression(name));
    auto size = content.size();
    return add(ZipMember{std::move(name), std::move(content), size, how});
}

auto ZipWriter::add_directory(std::string name) -> Expected<void> {
    if (!name.empty() && name.back() != '/') name += '/';
    return add(ZipMember{std::move(name), std::monostate{}, 0, Compression::store});
}

auto ZipWriter::write(const fs::path& destination) const -> Expected<ZipResult> {
    if (m_options.deflate_level < 1 || m_options.deflate_level > 9) {
        return make_error(ErrorCode::usage, fmt::format("deflate level {} is not in 1..9", m_options.deflate_level), {},
                          "use a level from 1 (fastest) to 9 (smallest)");
    }
    auto ordered = complete_and_sort(m_members, m_options.parent_directories);
    if (!ordered) return unexpected(std::move(ordered).error());

    detail::TempOutput temp;
    auto created = temp.create(destination);
    if (!created) return unexpected(std::move(created).error());

    Session session;
    session.archive.reset(archive_write_new());
    auto& a = session.archive;
    if (!a) return make_error(ErrorCode::internal, "libarchive: out of memory");
    auto& sink = session.sink;
    sink.fd = temp.fd();
    auto level = std::to_string(m_options.deflate_level);
    if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK ||
        archive_write_set_format_option(a.get(), "zip", "hdrcharset", "UTF-8") != ARCHIVE_OK ||
        archive_write_set_format_option(a.get(), "zip", "compression-level", level.c_str()) != ARCHIVE_OK ||
        (m_options.force_zip64 && archive_write_set_format_option(a.get(), "zip", "zip64", "1") != ARCHIVE_OK) ||
        // Unpadded output: by default libarchive pads the last block as for a tape.
        archive_write_set_bytes_per_block(a.get(), static_cast<int>(k_chunk)) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
        archive_write_open(a.get(), &sink, nullptr, sink_write, nullptr) != ARCHIVE_OK) {
        return make_error(ErrorCode::internal, fmt::format("libarchive: {}", archive_message(a.get())));
    }

    std::vector<char> buffer(k_chunk);
    for (const auto* member : ordered->order) {
        auto header = write_header(a.get(), *member, m_options, destination);
        if (!header) return unexpected(std::move(header).error());
        if (const auto* path = std::get_if<fs::path>(&member->source)) {
            auto ok = write_file_member(a.get(), *member, *path, buffer, destination);
            if (!ok) return unexpected(std::move(ok).error());
        } else if (const auto* bytes = std::get_if<std::string>(&member->source)) {
            auto ok = write_data(a.get(), bytes->data(), bytes->size(), member->name, destination);
            if (!ok) return unexpected(std::move(ok).error());
        }
        if (archive_write_finish_entry(a.get()) != ARCHIVE_OK) {
            return io_error(fmt::format("cannot finish '{}' in the zip: {}", member->name, archive_message(a.get())),
                            destination);
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        return io_error(fmt::format("cannot finish the zip: {}", archive_message(a.get())), destination);
    }
    session.closed = true;
    auto committed = temp.commit(destination);
    if (!committed) return unexpected(std::move(committed).error());
    return ZipResult{sink.size, sink.sha.finish_hex(), ordered->order.size()};
}

}  // namespace wheelhouse::archive
