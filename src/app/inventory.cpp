// What is in a bundle or a lock, read from build-report.json (or the lock) and the wheels' METADATA; the SBOM and
// the licence table made from it.
#include "wheelhouse/app/inventory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/archive/zip_reader.hpp"
#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/cache/wheel_store.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/sbom/cyclonedx.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

auto str(const json& j, const char* key) -> std::string {
    if (!j.is_object()) return {};
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

auto opt_str(const json& j, const char* key) -> std::optional<std::string> {
    if (!j.is_object()) return std::nullopt;
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
}

auto required_by_of(const json& j) -> std::vector<resolve::RequiredBy> {
    std::vector<resolve::RequiredBy> out;
    if (!j.is_object() || !j.contains("required_by") || !j["required_by"].is_array()) return out;
    for (const auto& r : j["required_by"]) {
        if (r.is_object()) out.push_back({str(r, "parent"), str(r, "requirement"), str(r, "origin")});
    }
    return out;
}

// The "image" object of build-report.json or of a lock (see the contract in README: preset, source, installed,
// replaced).
auto image_of(const json& doc) -> std::optional<ImageInfo> {
    if (!doc.is_object() || !doc.contains("image") || !doc["image"].is_object()) return std::nullopt;
    const auto& j = doc["image"];
    ImageInfo image;
    image.preset = str(j, "preset");
    image.source = str(j, "source");
    if (j.contains("installed") && j["installed"].is_array()) {
        for (const auto& p : j["installed"]) {
            auto name = str(p, "name");
            if (name.empty()) continue;
            image.installed.push_back({pep508::canonicalize_name(name), opt_str(p, "version")});
        }
    }
    std::sort(image.installed.begin(), image.installed.end(),
              [](const ImagePackage& a, const ImagePackage& b) { return a.name < b.name; });
    return image;
}

auto license_of_wheel(std::string bytes, const std::string& filename) -> Expected<licenses::Declared> {
    auto wheel = archive::WheelReader::open_buffer(std::move(bytes), filename);
    if (!wheel) return unexpected(std::move(wheel).error());
    auto text = wheel->read_metadata();
    if (!text) return unexpected(std::move(text).error());
    auto md = metadata::Metadata::parse(*text, filename + "/" + wheel->dist_info() + "/METADATA");
    if (!md) return unexpected(std::move(md).error());
    return licenses::declared(*md);
}

// "b 1.0.0" or "b[x] 1.0.0" -> "b".
auto parent_name(const std::string& parent) -> std::string {
    auto end = parent.find_first_of(" [");
    return pep508::canonicalize_name(parent.substr(0, end));
}

}  // namespace

auto inventory_from_report(const json& report, const WheelSource& wheels) -> Expected<Inventory> {
    auto bad = [](const std::string& what) {
        return make_error(ErrorCode::invalid_input, fmt::format("build-report.json: {}", what), {},
                          "build the bundle again with `wheelhouse build`");
    };
    if (!report.is_object() || !report.contains("packages") || !report["packages"].is_array()) {
        return bad("no packages list");
    }
    Inventory inv;
    const auto& target = report.value("target", json::object());
    inv.target = str(target, "name");
    inv.python_full_version = str(target, "python_full_version");
    if (target.is_object() && target.contains("platforms") && target["platforms"].is_array()) {
        for (const auto& p : target["platforms"])
            if (p.is_string()) inv.platforms.push_back(p.get<std::string>());
    }
    inv.subject = fmt::format("plugins.zip for {}", inv.target);
    inv.image = image_of(report);
    std::map<std::string, std::string> replaced;
    if (report.contains("image") && report["image"].is_object() && report["image"].contains("replaced") &&
        report["image"]["replaced"].is_array()) {
        for (const auto& r : report["image"]["replaced"])
            replaced[pep508::canonicalize_name(str(r, "name"))] = str(r, "image_version");
    }
    std::size_t unknown = 0;
    for (const auto& j : report["packages"]) {
        InventoryPackage p;
        p.name = pep508::canonicalize_name(str(j, "name"));
        p.version = str(j, "version");
        p.filename = str(j, "filename");
        p.url = str(j, "url");
        p.sha256 = util::to_lower(str(j, "sha256"));
        if (p.name.empty() || p.version.empty() || p.filename.empty()) return bad("a package lacks name or version");
        p.required_by = required_by_of(j);
        if (auto it = replaced.find(p.name); it != replaced.end() && !it->second.empty()) p.replaces = it->second;
        auto bytes = wheels(p.filename, p.sha256);
        if (!bytes) return unexpected(std::move(bytes).error());
        if (*bytes) {
            auto license = license_of_wheel(std::move(**bytes), p.filename);
            if (!license) return unexpected(std::move(license).error());
            p.license = std::move(*license);
        } else {
            ++unknown;
        }
        inv.packages.push_back(std::move(p));
    }
    if (unknown > 0) {
        inv.warnings.push_back(
            fmt::format("{} of {} wheels were not at hand: their licences are unknown", unknown, inv.packages.size()));
    }
    std::sort(inv.packages.begin(), inv.packages.end(),
              [](const InventoryPackage& a, const InventoryPackage& b) { return a.name < b.name; });
    const auto& bundle = report.value("bundle", json::object());
    if (auto sha = str(bundle, "sha256"); !sha.empty()) inv.files.push_back({"plugins.zip", sha});
    if (auto sha = str(report, "requirements_sha256"); !sha.empty()) inv.files.push_back({"requirements.txt", sha});
    if (auto sha = str(report, "constraints_sha256"); !sha.empty()) inv.files.push_back({"constraints.txt", sha});
    if (bundle.is_object() && bundle.contains("source_date_epoch") && bundle["source_date_epoch"].is_number_integer())
        inv.source_date_epoch = bundle["source_date_epoch"].get<std::int64_t>();
    return inv;
}

auto inventory_from_dist(const fs::path& dist) -> Expected<Inventory> {
    const auto report_path = dist / "build-report.json";
    const auto zip_path = dist / "plugins.zip";
    std::error_code ec;
    for (const auto& path : {report_path, zip_path}) {
        if (!fs::is_regular_file(path, ec)) {
            return make_error(ErrorCode::not_found, fmt::format("{} does not exist", path.string()),
                              Location{path.string()},
                              "pass the folder `wheelhouse build` wrote (plugins.zip and build-report.json), or a "
                              "lock file");
        }
    }
    auto text = util::read_file(report_path);
    if (!text) return unexpected(std::move(text).error());
    auto report = json::parse(*text, nullptr, false);
    if (report.is_discarded()) {
        return make_error(ErrorCode::invalid_input, "build-report.json is not valid JSON",
                          Location{report_path.string()}, "build the bundle again with `wheelhouse build`");
    }
    auto zip = archive::ZipReader::open(zip_path);
    if (!zip) return unexpected(std::move(zip).error());
    std::map<std::string, std::string> members;  // wheel file name -> member name
    for (const auto& e : zip->entries()) {
        if (e.is_dir || !util::to_lower(e.name).ends_with(".whl")) continue;
        auto slash = e.name.rfind('/');
        members[slash == std::string::npos ? e.name : e.name.substr(slash + 1)] = e.name;
    }
    WheelSource wheels = [&](const std::string& filename,
                             const std::string& sha256) -> Expected<std::optional<std::string>> {
        auto it = members.find(filename);
        if (it == members.end()) {
            return make_error(ErrorCode::verification,
                              fmt::format("{} is in build-report.json but not in plugins.zip", filename),
                              Location{zip_path.string()}, "run `wheelhouse verify` on the bundle, or build it again");
        }
        auto bytes = zip->read(it->second);
        if (!bytes) return unexpected(std::move(bytes).error());
        auto digest = util::sha256_hex(*bytes);
        if (!sha256.empty() && digest != sha256) {
            return make_error(
                ErrorCode::verification,
                fmt::format("{} in plugins.zip has sha256 {}, build-report.json says {}", filename, digest, sha256),
                Location{zip_path.string()}, "run `wheelhouse verify` on the bundle, or build it again");
        }
        return std::optional<std::string>(std::move(*bytes));
    };
    auto inv = inventory_from_report(report, wheels);
    if (!inv) return inv;
    if (auto constraints = util::read_file(dist / "constraints.txt")) inv->constraints = std::move(*constraints);
    return inv;
}

auto inventory_from_lock(const fs::path& lock, const std::optional<fs::path>& cache_dir) -> Expected<Inventory> {
    auto text = util::read_file(lock);
    if (!text) return unexpected(std::move(text).error());
    auto doc = json::parse(*text, nullptr, false);
    auto bad = [&](const std::string& what) {
        return make_error(ErrorCode::invalid_input, fmt::format("not a wheelhouse lock file: {}", what),
                          Location{lock.string()}, "write one with `wheelhouse lock`");
    };
    if (doc.is_discarded() || !doc.is_object()) return bad("invalid JSON");
    if (!doc.contains("lock_version") || doc["lock_version"] != 1) return bad("lock_version is not 1");
    if (!doc.contains("packages") || !doc["packages"].is_array()) return bad("no packages array");
    std::optional<cache::WheelStore> store;
    if (cache_dir) {
        auto opened = cache::WheelStore::open(*cache_dir);
        if (opened) store = std::move(*opened);
    }
    // The lock read as a report: the image's packages are not bundled.
    json report = {{"target", doc.value("target", json::object())}, {"packages", json::array()}};
    if (doc.contains("image")) report["image"] = doc["image"];
    std::vector<ImagePackage> provided;
    for (const auto& p : doc["packages"]) {
        if (!p.is_object()) return bad("a package is not an object");
        if (str(p, "provided_by") == "image") {
            provided.push_back({pep508::canonicalize_name(str(p, "name")), opt_str(p, "version")});
            continue;
        }
        report["packages"].push_back(p);
    }
    WheelSource wheels = [&](const std::string& filename,
                             const std::string& sha256) -> Expected<std::optional<std::string>> {
        if (!store || sha256.empty()) return std::optional<std::string>{};
        auto hit = store->find(filename, sha256);
        if (!hit) return std::optional<std::string>{};
        auto bytes = util::read_file(hit->path);
        if (!bytes || util::sha256_hex(*bytes) != sha256) return std::optional<std::string>{};
        return std::optional<std::string>(std::move(*bytes));
    };
    auto inv = inventory_from_report(report, wheels);
    if (!inv) {
        auto error = std::move(inv).error();
        error.message = fmt::format("{}: {}", lock.string(), error.message);
        return unexpected(std::move(error));
    }
    if (!provided.empty()) {
        if (!inv->image) inv->image = ImageInfo{};
        for (auto& p : provided) {
            auto same = [&](const ImagePackage& q) { return q.name == p.name; };
            if (std::none_of(inv->image->installed.begin(), inv->image->installed.end(), same))
                inv->image->installed.push_back(std::move(p));
        }
        std::sort(inv->image->installed.begin(), inv->image->installed.end(),
                  [](const ImagePackage& a, const ImagePackage& b) { return a.name < b.name; });
    }
    inv->subject = fmt::format("{} for {}", lock.filename().string(), inv->target);
    inv->files.push_back({lock.filename().string(), util::sha256_hex(*text)});
    auto epoch = archive::source_date_epoch();
    if (!epoch) return unexpected(std::move(epoch).error());
    inv->source_date_epoch = *epoch;
    return inv;
}

auto inventory_from_path(const fs::path& path, const std::optional<fs::path>& cache_dir) -> Expected<Inventory> {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return inventory_from_dist(path);
    if (fs::is_regular_file(path, ec)) return inventory_from_lock(path, cache_dir);
    return make_error(ErrorCode::not_found, fmt::format("{}: no such folder or file", path.string()),
                      Location{path.string()}, "pass the folder `wheelhouse build` wrote, or a lock file");
}

auto sbom_text(const Inventory& inv) -> std::string {
    sbom::Document doc;
    doc.tool_version = WHEELHOUSE_VERSION;
    doc.subject_name = inv.subject;
    doc.subject_properties.emplace_back("wheelhouse:target", inv.target);
    if (!inv.python_full_version.empty())
        doc.subject_properties.emplace_back("wheelhouse:python", inv.python_full_version);
    for (const auto& p : inv.platforms) doc.subject_properties.emplace_back("wheelhouse:platform", p);
    doc.timestamp = inv.source_date_epoch.value_or(315532800);  // 1980-01-01, the zip's fixed time
    std::map<std::string, std::string> ref_of;                  // canonical name -> bom-ref
    for (const auto& p : inv.packages) {
        sbom::Package c;
        c.purl = sbom::pypi_purl(p.name, p.version, p.filename);
        c.ref = sbom::pypi_purl(p.name, p.version);
        c.name = p.name;
        c.version = p.version;
        if (!p.sha256.empty()) c.sha256 = p.sha256;
        if (!p.url.empty()) c.url = p.url;
        c.license = p.license;
        c.properties.emplace_back("wheelhouse:filename", p.filename);
        c.properties.emplace_back("wheelhouse:license:source", licenses::to_string(p.license.source));
        if (p.replaces) c.properties.emplace_back("wheelhouse:replaces-image-version", *p.replaces);
        ref_of[p.name] = c.ref;
        doc.packages.push_back(std::move(c));
    }
    for (const auto& f : inv.files) doc.files.push_back({"file:" + f.name, f.name, f.sha256, {}});
    std::map<std::string, std::string> env_ref_of;
    if (inv.image) {
        sbom::Environment env;
        env.ref = "image";
        env.name = inv.image->preset.empty() ? std::string("MWAA image") : "MWAA image " + inv.image->preset;
        if (!inv.image->preset.empty()) env.properties.emplace_back("wheelhouse:image:preset", inv.image->preset);
        if (!inv.image->source.empty()) env.properties.emplace_back("wheelhouse:image:source", inv.image->source);
        for (const auto& p : inv.image->installed) {
            sbom::Package c;
            c.purl = sbom::pypi_purl(p.name, p.version);
            c.ref = "image/" + c.purl;
            c.name = p.name;
            c.version = p.version;
            c.properties.emplace_back("wheelhouse:provided-by", "environment");
            // The image's bill of materials gives names and versions, not licences.
            c.properties.emplace_back("wheelhouse:license:source", "unknown");
            env_ref_of[p.name] = c.ref;
            env.packages.push_back(std::move(c));
        }
        doc.environment = std::move(env);
    }
    // The dependency graph: the subject needs the top-level packages and its files; each package the packages
    // that required it list as their parent.
    std::map<std::string, std::set<std::string>> edges;
    std::set<std::string> roots;
    for (const auto& p : inv.packages) {
        for (const auto& r : p.required_by) {
            if (r.parent.empty()) {
                roots.insert(ref_of[p.name]);
                continue;
            }
            auto parent = parent_name(r.parent);
            if (auto it = ref_of.find(parent); it != ref_of.end()) {
                edges[it->second].insert(ref_of[p.name]);
            } else if (auto env = env_ref_of.find(parent); env != env_ref_of.end()) {
                edges[env->second].insert(ref_of[p.name]);
            }
        }
    }
    for (const auto& f : doc.files) roots.insert(f.ref);
    doc.dependencies.push_back({doc.subject_ref, {roots.begin(), roots.end()}});
    for (const auto& c : doc.packages) {
        const auto& to = edges[c.ref];
        doc.dependencies.push_back({c.ref, {to.begin(), to.end()}});
    }
    for (const auto& [from, to] : edges) {
        if (from.starts_with("image/")) doc.dependencies.push_back({from, {to.begin(), to.end()}});
    }
    return sbom::to_text(doc);
}

// ---- licences ---------------------------------------------------------------------------------

auto load_policy(const std::optional<fs::path>& file, const std::vector<std::string>& allow,
                 const std::vector<std::string>& deny) -> Expected<licenses::Policy> {
    licenses::Policy policy;
    if (file) {
        auto text = util::read_file(*file);
        if (!text) return unexpected(std::move(text).error());
        auto parsed = licenses::parse_policy_file(*text, file->string());
        if (!parsed) return unexpected(std::move(parsed).error());
        policy = std::move(*parsed);
    }
    for (const auto& [values, option, target] :
         {std::tuple{&allow, "--allow", &policy.allow}, std::tuple{&deny, "--deny", &policy.deny}}) {
        for (const auto& value : *values) {
            auto ids = licenses::parse_policy_ids(value, option);
            if (!ids) return unexpected(std::move(ids).error());
            for (auto& id : *ids) {
                if (std::find(target->begin(), target->end(), id) == target->end()) target->push_back(std::move(id));
            }
        }
    }
    return policy;
}

auto license_report(const Inventory& inv, const licenses::Policy& policy) -> LicenseReport {
    LicenseReport report;
    for (const auto& p : inv.packages) {
        LicenseRow row;
        row.name = p.name;
        row.version = p.version;
        row.license = p.license.display();
        row.source = licenses::to_string(p.license.source);
        for (const auto& r : p.required_by) {
            auto who = r.parent.empty() ? (r.origin.empty() ? std::string("requirements") : r.origin) : r.parent;
            if (std::find(row.pulled_in_by.begin(), row.pulled_in_by.end(), who) == row.pulled_in_by.end())
                row.pulled_in_by.push_back(who);
        }
        auto verdict = licenses::evaluate(policy, p.license);
        if (!verdict.ok) {
            row.violation = verdict.reason;
            ++report.violations;
        }
        report.rows.push_back(std::move(row));
    }
    if (inv.image) {
        for (const auto& p : inv.image->installed) {
            LicenseRow row;
            row.name = p.name;
            row.version = p.version.value_or("");
            row.license = "unknown";
            row.source = "unknown";
            row.environment = true;
            report.rows.push_back(std::move(row));
        }
    }
    return report;
}

auto license_report_json(const LicenseReport& report) -> json {
    auto rows = json::array();
    for (const auto& r : report.rows) {
        json j = {{"name", r.name},     {"version", r.version},         {"license", r.license},
                  {"source", r.source}, {"environment", r.environment}, {"pulled_in_by", r.pulled_in_by}};
        j["violation"] = r.violation ? json(*r.violation) : json(nullptr);
        rows.push_back(std::move(j));
    }
    return {{"ok", report.violations == 0},
            {"packages", rows},
            {"violations", report.violations},
            {"spdx_list_version", std::string(licenses::spdx_list_version())}};
}

auto license_policy_error(const LicenseReport& report) -> Error {
    std::string text = fmt::format("{} package(s) under a licence the policy does not allow:", report.violations);
    for (const auto& r : report.rows) {
        if (!r.violation) continue;
        text += fmt::format("\n  {} {} ({}): {}; pulled in by {}", r.name, r.version, r.license, *r.violation,
                            r.pulled_in_by.empty() ? std::string("?") : util::join(r.pulled_in_by, ", "));
    }
    return make_error(ErrorCode::license_policy, text).error;
}

}  // namespace wheelhouse::app
