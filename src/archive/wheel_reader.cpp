// A wheel whose content is malformed or unsafe fails verification (exit 4), like a hash mismatch.
#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <system_error>
#include <variant>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::archive {

struct WheelReader::Source {
    std::variant<std::filesystem::path, std::string> where;
};

namespace {

struct ArchiveFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

auto archive_message(struct archive* a) -> std::string {
    const char* s = archive_error_string(a);
    return s != nullptr ? std::string(s) : std::string("unknown libarchive error");
}

// What the user can do, by kind of defect.
constexpr std::string_view k_damaged_hint =
    "the file is damaged or not a wheel (an interrupted or corrupted download?); fetch it again from a trusted index";
constexpr std::string_view k_malformed_hint =
    "the wheel is malformed or malicious; report it to the project and do not bundle it";
constexpr std::string_view k_bomb_hint = "the file is not a normal wheel; do not install it";
constexpr std::string_view k_changed_hint =
    "the file changed while it was read, or its zip index disagrees with its content; fetch it again from a "
    "trusted index";

auto bad_wheel(std::string_view filename, std::string message, std::string_view hint) -> Unexpected<Error> {
    return make_error(ErrorCode::verification, std::move(message), Location{std::string(filename), 0, 0},
                      std::string(hint));
}

// Opens a fresh reader on the source; zip only, reading the central directory (seekable mode) so
// that entries are what the zip index says, as pip's zipfile sees them.
auto open_archive(const WheelReader::Source& source, std::string_view filename) -> Expected<ArchivePtr> {
    ArchivePtr a(archive_read_new());
    if (!a) return make_error(ErrorCode::internal, "libarchive: out of memory");
    archive_read_support_format_zip_seekable(a.get());
    int rc = ARCHIVE_OK;
    if (const auto* path = std::get_if<std::filesystem::path>(&source.where)) {
        rc = archive_read_open_filename(a.get(), path->c_str(), 64 * 1024);
    } else {
        const auto& bytes = std::get<std::string>(source.where);
        rc = archive_read_open_memory(a.get(), bytes.data(), bytes.size());
    }
    if (rc != ARCHIVE_OK) {
        return bad_wheel(filename, fmt::format("not a readable zip archive: {}", archive_message(a.get())),
                         k_damaged_hint);
    }
    return a;
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

// "demo_pkg-1.0.0-py3-none-any.whl" -> "demo_pkg"
auto project_of_filename(std::string_view filename) -> std::string_view {
    auto slash = filename.find_last_of('/');
    if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
    return filename.substr(0, filename.find('-'));
}

}  // namespace

WheelReader::WheelReader(WheelReader&&) noexcept = default;
auto WheelReader::operator=(WheelReader&&) noexcept -> WheelReader& = default;
WheelReader::~WheelReader() = default;

auto WheelReader::open(const std::filesystem::path& path, Limits limits) -> Expected<WheelReader> {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return make_error(ErrorCode::not_found, "wheel file not found (or not a regular file)",
                          Location{path.string(), 0, 0}, "check the path of the wheel");
    }
    auto source = std::make_shared<Source>(Source{path});
    return open_source(std::move(source), path.string(), limits);
}

auto WheelReader::open_buffer(std::string bytes, std::string filename, Limits limits) -> Expected<WheelReader> {
    auto source = std::make_shared<Source>(Source{std::move(bytes)});
    return open_source(std::move(source), std::move(filename), limits);
}

auto WheelReader::open_source(std::shared_ptr<const Source> source, std::string filename, Limits limits)
    -> Expected<WheelReader> {
    auto a = open_archive(*source, filename);
    if (!a) return unexpected(std::move(a).error());

    WheelReader reader;
    reader.m_source = std::move(source);
    reader.m_filename = std::move(filename);
    reader.m_limits = limits;

    std::set<std::string> seen;
    std::set<std::string> dist_infos;
    std::uint64_t total = 0;
    struct archive_entry* e = nullptr;
    for (;;) {
        int rc = archive_read_next_header(a->get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return bad_wheel(reader.m_filename, fmt::format("corrupt zip archive: {}", archive_message(a->get())),
                             k_damaged_hint);
        }
        auto raw_name = entry_name(e);
        if (!is_safe_member_name(raw_name)) {
            return bad_wheel(reader.m_filename,
                             fmt::format("member '{}' has an unsafe path (absolute or with '..'): it would be "
                                         "written outside the install folder",
                                         raw_name),
                             k_malformed_hint);
        }
        Entry entry;
        entry.name = strip_trailing_slash(raw_name);
        auto type = archive_entry_filetype(e);
        entry.is_dir = type == AE_IFDIR || raw_name.back() == '/';
        entry.is_symlink = type == AE_IFLNK;
        entry.mode = static_cast<std::uint32_t>(archive_entry_perm(e)) & 07777U;
        auto size = archive_entry_size_is_set(e) != 0 ? archive_entry_size(e) : 0;
        entry.size = size > 0 ? static_cast<std::uint64_t>(size) : 0U;
        if (!seen.insert(entry.name).second) {
            return bad_wheel(reader.m_filename, fmt::format("member '{}' appears twice in the wheel", entry.name),
                             k_malformed_hint);
        }
        if (reader.m_entries.size() >= limits.max_entries) {
            return bad_wheel(reader.m_filename, fmt::format("wheel has more than {} entries", limits.max_entries),
                             k_bomb_hint);
        }
        if (entry.size > limits.max_member_size) {
            return bad_wheel(reader.m_filename,
                             fmt::format("member '{}' is {} bytes uncompressed, over the {} byte limit", entry.name,
                                         entry.size, limits.max_member_size),
                             k_bomb_hint);
        }
        total += entry.size;
        if (total > limits.max_total_size) {
            return bad_wheel(reader.m_filename,
                             fmt::format("wheel expands to more than {} bytes", limits.max_total_size), k_bomb_hint);
        }
        auto top = entry.name.substr(0, entry.name.find('/'));
        if (top.size() > 10 && top.ends_with(".dist-info") && (entry.name.size() > top.size() || entry.is_dir)) {
            dist_infos.insert(top);
        }
        reader.m_entries.push_back(std::move(entry));
        archive_read_data_skip(a->get());
    }

    if (dist_infos.empty()) return bad_wheel(reader.m_filename, "wheel has no .dist-info folder", k_malformed_hint);
    if (dist_infos.size() > 1) {
        std::vector<std::string> names(dist_infos.begin(), dist_infos.end());
        return bad_wheel(reader.m_filename,
                         fmt::format("wheel has more than one .dist-info folder: {}", util::join(names, ", ")),
                         k_malformed_hint);
    }
    reader.m_dist_info = *dist_infos.begin();
    if (!reader.m_filename.empty()) {
        auto expected = normalise_project_for_filename(project_of_filename(reader.m_filename));
        auto dist_project = reader.m_dist_info.substr(0, reader.m_dist_info.find('-'));
        if (normalise_project_for_filename(dist_project) != expected) {
            return bad_wheel(
                reader.m_filename,
                fmt::format("the .dist-info folder '{}' does not belong to project '{}'", reader.m_dist_info, expected),
                k_malformed_hint);
        }
    }
    return reader;
}

auto WheelReader::find(std::string_view name) const -> const Entry* {
    for (const auto& e : m_entries) {
        if (e.name == name) return &e;
    }
    return nullptr;
}

auto WheelReader::read(std::string_view name, std::optional<std::uint64_t> max_bytes) const -> Expected<std::string> {
    const std::uint64_t limit = std::min(m_limits.max_member_size, max_bytes.value_or(m_limits.max_member_size));
    const auto* known = find(name);
    if (known == nullptr) {
        return make_error(ErrorCode::not_found, fmt::format("the wheel has no member '{}'", name),
                          Location{m_filename, 0, 0}, std::string(k_malformed_hint));
    }
    if (known->is_dir || known->is_symlink) {
        return bad_wheel(m_filename,
                         fmt::format("member '{}' is a {}, not a regular file", known->name,
                                     known->is_dir ? "folder" : "symbolic link"),
                         k_malformed_hint);
    }

    auto a = open_archive(*m_source, m_filename);
    if (!a) return unexpected(std::move(a).error());
    struct archive_entry* e = nullptr;
    for (;;) {
        int rc = archive_read_next_header(a->get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return bad_wheel(m_filename, fmt::format("corrupt zip archive: {}", archive_message(a->get())),
                             k_damaged_hint);
        }
        if (strip_trailing_slash(entry_name(e)) != name) {
            archive_read_data_skip(a->get());
            continue;
        }
        std::string out;
        if (known->size > limit) {
            return bad_wheel(
                m_filename,
                fmt::format("member '{}' has {} bytes, more than the {} allowed for it", name, known->size, limit),
                k_bomb_hint);
        }
        out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(known->size, limit)));
        char buffer[64 * 1024];
        for (;;) {
            auto n = archive_read_data(a->get(), buffer, sizeof buffer);
            if (n == 0) break;
            if (n < 0) {
                return bad_wheel(m_filename,
                                 fmt::format("cannot read member '{}': {}", name, archive_message(a->get())),
                                 k_damaged_hint);
            }
            // The header can lie about the size: count the bytes that actually come out.
            if (out.size() + static_cast<std::size_t>(n) > limit) {
                return bad_wheel(m_filename, fmt::format("member '{}' expands beyond the {} byte limit", name, limit),
                                 k_bomb_hint);
            }
            out.append(buffer, static_cast<std::size_t>(n));
        }
        return out;
    }
    return bad_wheel(m_filename, fmt::format("member '{}' is listed but was not found on re-reading", name),
                     k_changed_hint);
}

auto WheelReader::read_metadata() const -> Expected<std::string> {
    return read(m_dist_info + "/METADATA", max_metadata_member_size);
}

auto WheelReader::read_wheel_info() const -> Expected<WheelInfo> {
    auto name = m_dist_info + "/WHEEL";
    auto text = read(name, max_metadata_member_size);
    if (!text) return unexpected(std::move(text).error());
    return parse_wheel_info(*text, m_filename + ":" + name);
}

auto WheelReader::read_record() const -> Expected<std::vector<RecordEntry>> {
    auto name = m_dist_info + "/RECORD";
    auto text = read(name, max_record_member_size);
    if (!text) return unexpected(std::move(text).error());
    return parse_record(*text, m_filename + ":" + name);
}

auto read_wheel(const std::filesystem::path& path, Limits limits) -> Expected<WheelContents> {
    auto reader = WheelReader::open(path, limits);
    if (!reader) return unexpected(std::move(reader).error());
    WheelContents out;
    out.filename = reader->filename();
    out.dist_info = reader->dist_info();
    auto metadata = reader->read_metadata();
    if (!metadata) return unexpected(std::move(metadata).error());
    out.metadata = std::move(*metadata);
    auto wheel = reader->read_wheel_info();
    if (!wheel) return unexpected(std::move(wheel).error());
    out.wheel = std::move(*wheel);
    auto record = reader->read_record();
    if (!record) return unexpected(std::move(record).error());
    out.record = std::move(*record);
    out.entries = reader->entries();
    return out;
}

}  // namespace wheelhouse::archive
