// Test helper: a zip's central directory and local headers parsed by hand (APPNOTE 4.3), so that
// tests check the bytes a reader sees rather than what the writer's library reports.
#pragma once

#include <sys/wait.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "wheelhouse/util/file.hpp"

namespace wheelhouse::testing {

struct ZipExtra {
    std::uint16_t id = 0;
    std::string data;
};

struct ZipRecord {
    std::string name;
    std::uint16_t version_made_by = 0;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;        // central directory
    std::uint16_t local_method = 0;  // local header
    std::uint16_t dos_time = 0;
    std::uint16_t dos_date = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint32_t external_attributes = 0;
    std::uint64_t local_offset = 0;
    std::vector<ZipExtra> extra;        // central directory
    std::vector<ZipExtra> local_extra;  // local header
};

struct ZipLayout {
    bool ok = false;
    std::string problem;
    bool has_zip64_end = false;
    std::uint64_t entries = 0;
    std::vector<ZipRecord> records;
};

inline auto le16(const std::string& b, std::size_t at) -> std::uint16_t {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                      (static_cast<unsigned>(static_cast<unsigned char>(b[at + 1])) << 8U));
}
inline auto le32(const std::string& b, std::size_t at) -> std::uint32_t {
    return static_cast<std::uint32_t>(le16(b, at)) | (static_cast<std::uint32_t>(le16(b, at + 2)) << 16U);
}
inline auto le64(const std::string& b, std::size_t at) -> std::uint64_t {
    return static_cast<std::uint64_t>(le32(b, at)) | (static_cast<std::uint64_t>(le32(b, at + 4)) << 32U);
}

inline auto parse_extras(const std::string& b, std::size_t at, std::size_t length) -> std::vector<ZipExtra> {
    std::vector<ZipExtra> out;
    std::size_t end = at + length;
    while (at + 4 <= end) {
        ZipExtra x;
        x.id = le16(b, at);
        auto size = le16(b, at + 2);
        x.data = b.substr(at + 4, size);
        out.push_back(x);
        at += 4U + size;
    }
    return out;
}

inline auto inspect_zip(const std::filesystem::path& path) -> ZipLayout {
    ZipLayout layout;
    auto bytes = util::read_file(path);
    if (!bytes) {
        layout.problem = "cannot read";
        return layout;
    }
    const auto& b = *bytes;
    // The writer adds no comment: the end record is the last 22 bytes.
    if (b.size() < 22 || le32(b, b.size() - 22) != 0x06054b50U) {
        layout.problem = "no end of central directory record in the last 22 bytes";
        return layout;
    }
    std::size_t eocd = b.size() - 22;
    std::uint64_t count = le16(b, eocd + 10);
    std::uint64_t cd_offset = le32(b, eocd + 16);
    if (eocd >= 20 && le32(b, eocd - 20) == 0x07064b50U) {
        layout.has_zip64_end = true;
        auto z64 = static_cast<std::size_t>(le64(b, eocd - 20 + 8));
        if (le32(b, z64) != 0x06064b50U) {
            layout.problem = "zip64 locator points at no zip64 end record";
            return layout;
        }
        count = le64(b, z64 + 32);
        cd_offset = le64(b, z64 + 48);
    }
    layout.entries = count;
    std::size_t at = static_cast<std::size_t>(cd_offset);
    for (std::uint64_t i = 0; i < count; ++i) {
        if (at + 46 > b.size() || le32(b, at) != 0x02014b50U) {
            layout.problem = "bad central directory header";
            return layout;
        }
        ZipRecord r;
        r.version_made_by = le16(b, at + 4);
        r.flags = le16(b, at + 8);
        r.method = le16(b, at + 10);
        r.dos_time = le16(b, at + 12);
        r.dos_date = le16(b, at + 14);
        r.crc = le32(b, at + 16);
        r.compressed = le32(b, at + 20);
        r.uncompressed = le32(b, at + 24);
        auto name_len = le16(b, at + 28);
        auto extra_len = le16(b, at + 30);
        auto comment_len = le16(b, at + 32);
        r.external_attributes = le32(b, at + 38);
        r.local_offset = le32(b, at + 42);
        r.name = b.substr(at + 46, name_len);
        r.extra = parse_extras(b, at + 46 + name_len, extra_len);
        for (const auto& x : r.extra) {
            if (x.id != 1) continue;  // zip64: the 0xffffffff fields, in order
            std::size_t k = 0;
            if (r.uncompressed == 0xffffffffU) r.uncompressed = le64(x.data, 8 * k++);
            if (r.compressed == 0xffffffffU) r.compressed = le64(x.data, 8 * k++);
            if (r.local_offset == 0xffffffffU) r.local_offset = le64(x.data, 8 * k++);
        }
        auto lo = static_cast<std::size_t>(r.local_offset);
        if (lo + 30 > b.size() || le32(b, lo) != 0x04034b50U) {
            layout.problem = "bad local header for " + r.name;
            return layout;
        }
        r.local_method = le16(b, lo + 8);
        r.local_extra = parse_extras(b, lo + 30 + le16(b, lo + 26), le16(b, lo + 28));
        layout.records.push_back(r);
        at += 46U + name_len + extra_len + comment_len;
    }
    layout.ok = true;
    return layout;
}

// Runs a shell command, returning its exit status and what it printed on stdout.
struct CommandResult {
    int status = -1;
    std::string output;
};

inline auto run_command(const std::string& command) -> CommandResult {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Debian's Python (the stdlib zipfile, as pip on MWAA uses it), not whatever python3 is first on PATH.
inline auto system_python() -> std::string {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

inline auto shell_quote(const std::string& s) -> std::string {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

}  // namespace wheelhouse::testing
