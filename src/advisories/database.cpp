// Loading OSV records from a folder tree or an OSV export zip.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "wheelhouse/advisories/advisories.hpp"
#include "wheelhouse/archive/zip_reader.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::advisories {
namespace {

namespace fs = std::filesystem;

auto is_record_name(std::string_view name) -> bool {
    auto lower = util::to_lower(name);
    return lower.ends_with(".json") || lower.ends_with(".yaml") || lower.ends_with(".yml");
}

auto is_zip(const fs::path& path) -> bool {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, sizeof magic);
    return in.gcount() == 4 && std::string_view(magic, 4) == std::string_view("PK\x03\x04", 4);
}

}  // namespace

auto Database::load(const fs::path& path) -> Expected<Database> {
    std::error_code ec;
    std::vector<Advisory> advisories;
    std::vector<std::string> warnings;
    if (fs::is_directory(path, ec)) {
        std::vector<fs::path> files;
        for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_regular_file(ec) && is_record_name(it->path().filename().string())) files.push_back(it->path());
        }
        if (ec) {
            return make_error(ErrorCode::io, fmt::format("cannot list {}: {}", path.string(), ec.message()),
                              Location{path.string()});
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto text = util::read_file(file);
            if (!text) return unexpected(std::move(text).error());
            auto advisory = parse_osv(*text, file.string(), &warnings);
            if (!advisory) return unexpected(std::move(advisory).error());
            advisories.push_back(std::move(*advisory));
        }
    } else if (fs::is_regular_file(path, ec)) {
        if (!is_zip(path)) {
            // One record given as a file.
            auto text = util::read_file(path);
            if (!text) return unexpected(std::move(text).error());
            auto advisory = parse_osv(*text, path.string(), &warnings);
            if (!advisory) return unexpected(std::move(advisory).error());
            advisories.push_back(std::move(*advisory));
        } else {
            auto zip = archive::ZipReader::open(path);
            if (!zip) {
                auto error = std::move(zip).error();
                error.code = ErrorCode::invalid_input;
                return unexpected(std::move(error));
            }
            for (const auto& entry : zip->entries()) {
                if (entry.is_dir || !is_record_name(entry.name)) continue;
                const auto label = fmt::format("{}:{}", path.string(), entry.name);
                auto text = zip->read(entry.name);
                if (!text) {
                    auto error = std::move(text).error();
                    error.code = ErrorCode::invalid_input;
                    return unexpected(std::move(error));
                }
                auto advisory = parse_osv(*text, label, &warnings);
                if (!advisory) return unexpected(std::move(advisory).error());
                advisories.push_back(std::move(*advisory));
            }
        }
    } else {
        return make_error(ErrorCode::not_found, fmt::format("{}: no such folder or file", path.string()),
                          Location{path.string()},
                          "--advisories takes a folder of OSV records (YAML or JSON) or an OSV export zip "
                          "(e.g. PyPI's all.zip from osv.dev)");
    }
    auto db = from(std::move(advisories));
    db.m_warnings = std::move(warnings);
    return db;
}

}  // namespace wheelhouse::advisories
