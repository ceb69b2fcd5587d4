// dist/ as one set of files: the digest check deploy and verify run first, and build's staging folders.
#include "wheelhouse/app/dist.hpp"

#include <stdlib.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;

auto json_string(const nlohmann::json& doc, std::initializer_list<const char*> path) -> std::optional<std::string> {
    const nlohmann::json* at = &doc;
    for (const char* key : path) {
        if (!at->is_object()) return std::nullopt;
        auto it = at->find(key);
        if (it == at->end()) return std::nullopt;
        at = &*it;
    }
    if (!at->is_string()) return std::nullopt;
    return at->get<std::string>();
}

}  // namespace

auto check_dist(const fs::path& dist, const std::map<std::string, std::string>& known) -> DistCheck {
    DistCheck check;
    const auto report_path = dist / k_dist_report;
    std::error_code ec;
    if (!fs::exists(report_path, ec)) return check;
    check.report_found = true;
    auto mismatch = [&](std::string_view file, std::string message) {
        check.mismatches.push_back({std::string(file), std::move(message)});
    };
    auto text = util::read_file(report_path);
    if (!text) {
        mismatch(k_dist_report, fmt::format("cannot read it: {}", text.error().message));
        return check;
    }
    const auto report = nlohmann::json::parse(*text, nullptr, false);
    if (report.is_discarded() || !report.is_object()) {
        mismatch(k_dist_report, "it is not a JSON object");
        return check;
    }
    struct Expectation {
        std::string_view file;
        std::optional<std::string> sha256;
        const char* field;
    };
    const std::vector<Expectation> expected = {
        {k_dist_plugins, json_string(report, {"bundle", "sha256"}), "bundle.sha256"},
        {k_dist_requirements, json_string(report, {"requirements_sha256"}), "requirements_sha256"},
        {k_dist_constraints, json_string(report, {"constraints_sha256"}), "constraints_sha256"},
    };
    for (const auto& e : expected) {
        if (!e.sha256 || e.sha256->empty()) {
            mismatch(k_dist_report, fmt::format("it records no {} (for {})", e.field, e.file));
            continue;
        }
        std::string actual;
        std::optional<std::uint64_t> size;
        if (auto it = known.find(std::string(e.file)); it != known.end()) {
            actual = it->second;
        } else {
            auto hashed = util::sha256_file(dist / e.file);
            if (!hashed) {
                mismatch(e.file, hashed.error().code == ErrorCode::not_found
                                     ? std::string("it is missing, but build-report.json lists it")
                                     : fmt::format("cannot read it: {}", hashed.error().message));
                continue;
            }
            actual = std::move(hashed->first);
            size = hashed->second;
        }
        if (util::to_lower(actual) != util::to_lower(*e.sha256)) {
            mismatch(e.file,
                     fmt::format("sha256 {} differs from build-report.json's {} {}", actual, e.field, *e.sha256));
            continue;
        }
        if (e.file == k_dist_plugins && report["bundle"].contains("size") &&
            report["bundle"]["size"].is_number_unsigned()) {
            if (!size) {
                size = fs::file_size(dist / e.file, ec);
                if (ec) size.reset();
            }
            const auto want = report["bundle"]["size"].get<std::uint64_t>();
            if (size && *size != want) {
                mismatch(e.file, fmt::format("{} bytes, build-report.json's bundle.size says {}", *size, want));
            }
        }
    }
    return check;
}

auto dist_mismatch_error(const fs::path& dist, const DistCheck& check) -> Error {
    std::vector<std::string> parts;
    for (const auto& m : check.mismatches) parts.push_back(fmt::format("{}: {}", m.file, m.message));
    Error e{
        ErrorCode::verification,
        fmt::format("{} is not the output of one build: {}", dist.string(), util::join(parts, "; ")),
        Location{(dist / (check.mismatches.empty() ? k_dist_report : check.mismatches.front().file)).string(), 0, 0},
        "a build was interrupted or the files were edited after it: run `wheelhouse build` again (nothing was "
        "uploaded)",
        {}};
    return e;
}

StagingFolder::StagingFolder(StagingFolder&& other) noexcept
    : m_path(std::exchange(other.m_path, {})), m_lock(std::move(other.m_lock)) {}

auto StagingFolder::operator=(StagingFolder&& other) noexcept -> StagingFolder& {
    std::swap(m_path, other.m_path);
    std::swap(m_lock, other.m_lock);
    return *this;
}

StagingFolder::~StagingFolder() {
    if (m_path.empty()) return;
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

auto remove_stale_staging(const fs::path& output) -> std::size_t {
    std::size_t removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(output, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (!name.starts_with(k_staging_prefix) || !it->is_directory(ec) || it->is_symlink(ec)) continue;
        // A live build holds its folder's lock: only a dead build's folder can be taken.
        auto lock = cache::FileLock::try_acquire(it->path());
        if (!lock || !*lock) continue;
        std::error_code remove_error;
        fs::remove_all(it->path(), remove_error);
        if (!remove_error) ++removed;
    }
    return removed;
}

auto StagingFolder::create(const fs::path& output) -> Expected<StagingFolder> {
    std::error_code ec;
    fs::create_directories(output, ec);
    if (ec) {
        return make_error(ErrorCode::io, fmt::format("cannot create {}: {}", output.string(), ec.message()),
                          Location{output.string(), 0, 0}, "check that the output folder can be created (-o)");
    }
    // The output folder's own lock covers "remove the dead, create and lock ours": a build that has just made
    // its folder but not locked it yet is never taken for a dead one.
    auto guard = cache::FileLock::acquire(output);
    if (!guard) return unexpected(std::move(guard).error());
    remove_stale_staging(output);
    std::string pattern = (output / (std::string(k_staging_prefix) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return make_error(ErrorCode::io, "cannot create a temporary folder in " + output.string(),
                          Location{output.string(), 0, 0}, "check that the output folder is writable");
    }
    StagingFolder folder;
    folder.m_path = pattern;
    auto lock = cache::FileLock::acquire(folder.m_path);
    if (!lock) return unexpected(std::move(lock).error());
    folder.m_lock = std::move(*lock);
    return folder;
}

}  // namespace wheelhouse::app
