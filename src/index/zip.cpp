// Reading one member of a zip from byte ranges: the end-of-central-directory record, the central
// directory, then the member's local header and data, inflated with zlib.
#include <fmt/format.h>
#include <zlib.h>

#include <cstring>
#include <limits>

#include "wheelhouse/index/index.hpp"

namespace wheelhouse::index {

namespace {

constexpr std::uint32_t eocd_signature = 0x06054b50;
constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
constexpr std::uint32_t zip64_eocd_signature = 0x06064b50;
constexpr std::uint32_t central_signature = 0x02014b50;
constexpr std::uint32_t local_signature = 0x04034b50;

auto u16(std::string_view b, std::size_t at) -> std::uint16_t {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                      (static_cast<unsigned>(static_cast<unsigned char>(b[at + 1])) << 8U));
}
auto u32(std::string_view b, std::size_t at) -> std::uint32_t {
    return static_cast<std::uint32_t>(u16(b, at)) | (static_cast<std::uint32_t>(u16(b, at + 2)) << 16U);
}
auto u64(std::string_view b, std::size_t at) -> std::uint64_t {
    return static_cast<std::uint64_t>(u32(b, at)) | (static_cast<std::uint64_t>(u32(b, at + 4)) << 32U);
}

auto bad_zip(std::string what) {
    return make_error(ErrorCode::invalid_input, "not a readable wheel: " + what);
}

}  // namespace

auto find_central_directory(std::string_view tail, std::uint64_t file_size) -> Expected<CentralDirectoryLocation> {
    if (tail.size() < 22 || tail.size() > file_size) return bad_zip("file too short for a zip");
    const std::uint64_t tail_start = file_size - tail.size();
    // The record is 22 bytes plus a comment of at most 65535 bytes; search backwards.
    for (std::size_t pos = tail.size() - 22 + 1; pos-- > 0;) {
        if (u32(tail, pos) != eocd_signature) continue;
        const std::uint16_t comment = u16(tail, pos + 20);
        if (pos + 22 + comment != tail.size()) continue;
        CentralDirectoryLocation loc;
        loc.entries = u16(tail, pos + 10);
        loc.size = u32(tail, pos + 12);
        loc.offset = u32(tail, pos + 16);
        const bool zip64 = loc.entries == 0xFFFF || loc.size == 0xFFFFFFFF || loc.offset == 0xFFFFFFFF;
        if (zip64) {
            if (pos < 20 || u32(tail, pos - 20) != zip64_locator_signature) return bad_zip("zip64 locator missing");
            const std::uint64_t record = u64(tail, pos - 20 + 8);
            if (record < tail_start || record - tail_start + 56 > tail.size()) {
                return bad_zip("zip64 end record outside the bytes read");
            }
            const auto at = static_cast<std::size_t>(record - tail_start);
            if (u32(tail, at) != zip64_eocd_signature) return bad_zip("zip64 end record missing");
            loc.entries = u64(tail, at + 32);
            loc.size = u64(tail, at + 40);
            loc.offset = u64(tail, at + 48);
        }
        if (loc.offset > file_size || loc.size > file_size - loc.offset) {
            return bad_zip("central directory outside the file");
        }
        return loc;
    }
    return bad_zip("no end-of-central-directory record");
}

auto parse_central_directory(std::string_view dir, std::uint64_t entries) -> Expected<std::vector<ZipMember>> {
    std::vector<ZipMember> members;
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < entries; ++i) {
        if (dir.size() < 46 || pos > dir.size() - 46) return bad_zip("central directory truncated");
        if (u32(dir, pos) != central_signature) return bad_zip("bad central directory entry");
        ZipMember m;
        m.method = u16(dir, pos + 10);
        m.crc32 = u32(dir, pos + 16);
        m.compressed_size = u32(dir, pos + 20);
        m.uncompressed_size = u32(dir, pos + 24);
        const std::size_t name_len = u16(dir, pos + 28);
        const std::size_t extra_len = u16(dir, pos + 30);
        const std::size_t comment_len = u16(dir, pos + 32);
        m.local_header_offset = u32(dir, pos + 42);
        if (pos + 46 + name_len + extra_len + comment_len > dir.size()) return bad_zip("central directory truncated");
        m.name = std::string(dir.substr(pos + 46, name_len));
        // Zip64 extra field (id 1): the 64-bit values, in order, for the fields that were 0xFFFFFFFF.
        auto extra = dir.substr(pos + 46 + name_len, extra_len);
        while (extra.size() >= 4) {
            const std::uint16_t id = u16(extra, 0);
            const std::size_t len = u16(extra, 2);
            if (4 + len > extra.size()) break;
            if (id == 1) {
                std::size_t at = 4;
                auto take = [&](std::uint64_t& field) {
                    if (field == 0xFFFFFFFF && at + 8 <= 4 + len) {
                        field = u64(extra, at);
                        at += 8;
                    }
                };
                take(m.uncompressed_size);
                take(m.compressed_size);
                take(m.local_header_offset);
            }
            extra.remove_prefix(4 + len);
        }
        members.push_back(std::move(m));
        pos += 46 + name_len + extra_len + comment_len;
    }
    return members;
}

auto find_metadata_member(const std::vector<ZipMember>& members) -> Expected<ZipMember> {
    const ZipMember* found = nullptr;
    for (const auto& m : members) {
        const auto slash = m.name.find('/');
        if (slash == std::string::npos || m.name.substr(slash) != "/METADATA") continue;
        const auto top = std::string_view(m.name).substr(0, slash);
        if (top.size() <= 10 || top.substr(top.size() - 10) != ".dist-info") continue;
        if (found != nullptr) return bad_zip("more than one .dist-info/METADATA");
        found = &m;
    }
    if (found == nullptr) return bad_zip("no .dist-info/METADATA member");
    return *found;
}

auto extract_member(std::string_view bytes, const ZipMember& member) -> Expected<std::string> {
    if (bytes.size() < 30 || u32(bytes, 0) != local_signature) return bad_zip("bad local file header");
    const std::size_t data_start = 30 + static_cast<std::size_t>(u16(bytes, 26)) + u16(bytes, 28);
    if (member.compressed_size > bytes.size() || data_start > bytes.size() - member.compressed_size) {
        return bad_zip("member data truncated");
    }
    if (member.uncompressed_size > http::max_metadata_bytes) return bad_zip("METADATA is implausibly large");
    const auto data = bytes.substr(data_start, static_cast<std::size_t>(member.compressed_size));
    std::string out;
    if (member.method == 0) {
        out = std::string(data);
    } else if (member.method == 8) {
        out.resize(static_cast<std::size_t>(member.uncompressed_size));
        z_stream z{};
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return make_error(ErrorCode::internal, "zlib init failed");
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        z.avail_in = static_cast<uInt>(data.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&z, Z_FINISH);
        const auto produced = z.total_out;
        inflateEnd(&z);
        if (rc != Z_STREAM_END || produced != member.uncompressed_size) return bad_zip("METADATA does not inflate");
    } else {
        return bad_zip(fmt::format("unsupported compression method {}", member.method));
    }
    if (out.size() != member.uncompressed_size) return bad_zip("METADATA size mismatch");
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
    if (crc != member.crc32) return bad_zip("METADATA CRC mismatch");
    return out;
}

}  // namespace wheelhouse::index
