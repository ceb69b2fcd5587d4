#include "wheelhouse/app/verify.hpp"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "wheelhouse/app/dist.hpp"
#include "wheelhouse/app/inputs.hpp"
#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/fetch/fetch.hpp"
#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/resolve/resolve.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::app {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_requirements = "requirements.txt";
constexpr std::string_view k_plugins = "plugins.zip";
constexpr std::string_view k_report = "build-report.json";

// A folder removed with everything in it when the object goes away.
class TempDir {
public:
    static auto create() -> Expected<TempDir> {
        std::error_code ec;
        auto base = fs::temp_directory_path(ec);
        if (ec) base = "/tmp";
        std::string pattern = (base / "wheelhouse-verify-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            return make_error(ErrorCode::io, "cannot create a temporary folder in " + base.string());
        }
        TempDir dir;
        dir.m_path = pattern;
        return dir;
    }
    TempDir() = default;
    TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
    auto operator=(TempDir&& other) noexcept -> TempDir& {
        std::swap(m_path, other.m_path);
        return *this;
    }
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    ~TempDir() {
        if (m_path.empty()) return;
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    [[nodiscard]] auto path() const -> const fs::path& { return m_path; }

private:
    fs::path m_path;
};

auto strip_trailing_slashes(std::string_view text) -> std::string_view {
    while (text.size() > 1 && text.back() == '/') text.remove_suffix(1);
    return text;
}

auto unquote(std::string_view text) -> std::string_view {
    text = util::trim(text);
    if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') && text.back() == text.front()) {
        text = text.substr(1, text.size() - 2);
    }
    return text;
}

auto is_url(std::string_view text) -> bool {
    return text.find("://") != std::string_view::npos;
}

// pip's comment rule: '#' at the start of a line or after whitespace starts a comment.
auto strip_comment(std::string_view line) -> std::string_view {
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '#' && (i == 0 || util::is_ascii_space(line[i - 1]))) return line.substr(0, i);
    }
    return line;
}

struct LogicalLine {
    std::string text;
    int first = 0;  // 1-based physical line where it starts
    int count = 1;  // physical lines it spans
};

auto logical_lines(std::string_view text) -> std::vector<LogicalLine> {
    std::vector<LogicalLine> out;
    auto physical = util::split(text, '\n');
    if (!physical.empty() && physical.back().empty()) physical.pop_back();
    for (std::size_t i = 0; i < physical.size(); ++i) {
        LogicalLine line{{}, static_cast<int>(i) + 1, 0};
        for (; i < physical.size(); ++i) {
            auto part = physical[i];
            if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
            ++line.count;
            if (!part.empty() && part.back() == '\\') {
                part.remove_suffix(1);
                line.text += part;
                continue;
            }
            line.text += part;
            break;
        }
        line.count = std::max(line.count, 1);
        out.push_back(std::move(line));
    }
    return out;
}

// "--opt value", "--opt=value", "-o value", "-ovalue": the value, when `line` is that option.
auto option_value(std::string_view line, std::string_view long_name, std::string_view short_name)
    -> std::optional<std::string_view> {
    for (auto name : {long_name, short_name}) {
        if (name.empty() || !line.starts_with(name)) continue;
        auto rest = line.substr(name.size());
        if (rest.empty()) return rest;
        if (rest.front() == '=' || util::is_ascii_space(rest.front())) return util::trim(rest.substr(1));
        if (name.size() == 2) return util::trim(rest);  // "-ovalue"
    }
    return std::nullopt;
}

auto problem(std::string kind, std::string message, std::string file = {}, int line = 0) -> Problem {
    return Problem{std::move(kind), std::move(message), std::move(file), line};
}

// A wheel of the bundle, opened.
struct BundledWheel {
    VerifiedWheel info;
    std::optional<tags::WheelFilename> parsed;
    std::optional<metadata::Metadata> metadata;
    std::optional<pep440::Version> version;
    bool python_ok = true;
};

// The resolver's view of the bundle: exactly what pip --no-index --find-links would see.
class BundleProvider final : public resolve::IndexProvider {
public:
    explicit BundleProvider(const std::vector<BundledWheel>& wheels) {
        for (const auto& w : wheels) {
            if (!w.parsed || !w.metadata) continue;
            resolve::CandidateFile file;
            file.filename = w.info.filename;
            file.url = "bundle:" + w.info.filename;
            file.hashes["sha256"] = w.info.sha256;
            file.requires_python = w.metadata->requires_python;
            file.size = w.info.size;
            m_files[w.info.name].push_back(file);
            m_metadata.emplace(file.url, *w.metadata);
        }
    }
    auto candidates(std::string_view project) -> Expected<std::vector<resolve::CandidateFile>> override {
        auto it = m_files.find(project);
        if (it == m_files.end()) return std::vector<resolve::CandidateFile>{};
        return it->second;
    }
    auto metadata(std::string_view /*project*/, const resolve::CandidateFile& file)
        -> Expected<metadata::Metadata> override {
        auto it = m_metadata.find(file.url);
        if (it == m_metadata.end()) return make_error(ErrorCode::invalid_input, "no metadata for " + file.filename);
        return it->second;
    }

private:
    std::map<std::string, std::vector<resolve::CandidateFile>, std::less<>> m_files;
    std::map<std::string, metadata::Metadata, std::less<>> m_metadata;
};

auto is_sdist_name(std::string_view name) -> bool {
    auto base = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
    auto lower = util::to_lower(base);
    for (std::string_view ext : {".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"}) {
        if (lower.size() > ext.size() && lower.ends_with(ext)) return true;
    }
    return false;
}

// Opens every wheel: extracts it (hashing on the way), checks its RECORD, name, tags and Requires-Python.
auto open_wheels(const bundle::PluginsContents& contents, const VerifyOptions& options, const fs::path& scratch,
                 std::vector<Problem>& problems) -> std::vector<BundledWheel> {
    std::vector<BundledWheel> out;
    auto python = pep440::Version::parse(options.target.python().full_version());
    for (const auto& entry : contents.wheels) {
        BundledWheel w;
        auto filename = entry.name.substr(entry.name.rfind('/') == std::string::npos ? 0 : entry.name.rfind('/') + 1);
        w.info.filename = filename;
        auto destination = scratch / filename;
        auto extracted = contents.reader.extract(entry.name, destination);
        if (!extracted) {
            problems.push_back(problem("unreadable", extracted.error().message, entry.name));
            out.push_back(std::move(w));
            continue;
        }
        w.info.sha256 = extracted->sha256;
        w.info.size = extracted->size;
        auto parsed = tags::WheelFilename::parse(filename);
        if (!parsed) {
            problems.push_back(problem(
                "invalid_wheel", fmt::format("not a valid wheel file name: {}", parsed.error().message), filename));
            out.push_back(std::move(w));
            continue;
        }
        w.info.name = parsed->name();
        w.info.version = parsed->version_text();
        auto rank = options.target.rank(*parsed);
        w.info.compatible = rank.compatible;
        if (!rank.compatible) {
            problems.push_back(problem(
                "incompatible_wheel",
                fmt::format("{} does not run on {}: {}", filename, options.target.name(), rank.reason), filename));
        }
        w.parsed = std::move(*parsed);
        if (auto check = fetch::verify_wheel(destination, filename); !check) {
            problems.push_back(problem("invalid_wheel", check.error().message, filename));
            out.push_back(std::move(w));
            continue;
        }
        auto reader = archive::WheelReader::open(destination);
        auto text = reader ? reader->read_metadata() : Expected<std::string>(unexpected(reader.error()));
        auto meta = text ? metadata::Metadata::parse(*text, filename + "/METADATA")
                         : Expected<metadata::Metadata>(unexpected(text.error()));
        if (!meta) {
            problems.push_back(problem("invalid_wheel", meta.error().to_string(), filename));
            out.push_back(std::move(w));
            continue;
        }
        if (auto spec = meta->requires_python_specifier(); spec && python && !spec->contains(*python, true)) {
            w.python_ok = false;
            w.info.compatible = false;
            problems.push_back(
                problem("requires_python",
                        fmt::format("{} requires Python {} but {} runs Python {}", filename, *meta->requires_python,
                                    options.target.name(), options.target.python().full_version()),
                        filename));
        }
        w.version = w.parsed->version();
        w.metadata = std::move(*meta);
        out.push_back(std::move(w));
    }
    std::sort(out.begin(), out.end(),
              [](const BundledWheel& a, const BundledWheel& b) { return a.info.filename < b.info.filename; });
    return out;
}

// Walks the dependency graph from the top-level requirements, picking the newest bundled wheel that fits, and
// names each requirement that no bundled wheel satisfies. The resolver gives the exact answer; this walk gives
// the message a user can act on ("b 1.0 requires c>=2, and the bundle has no wheel of c").
void check_closure(const std::vector<resolve::RootRequirement>& roots,
                   const std::vector<resolve::Constraint>& constraints, const std::vector<BundledWheel>& wheels,
                   const tags::Target& target, const std::optional<InstalledSet>& installed,
                   std::vector<Problem>& problems) {
    auto env = target.marker_environment();
    // What the image has: a requirement it satisfies needs no wheel (its own requirements are the image's).
    std::map<std::string, std::optional<pep440::Version>, std::less<>> image;
    if (installed) {
        for (const auto& d : installed->packages) image.emplace(d.name, d.version);
    }
    std::map<std::string, std::vector<const BundledWheel*>, std::less<>> by_name;
    for (const auto& w : wheels) {
        if (w.parsed) by_name[w.info.name].push_back(&w);
    }
    struct Item {
        pep508::Requirement requirement;
        std::string parent;  // "" for a top-level line
        std::string origin;
    };
    std::deque<Item> queue;
    for (const auto& r : roots) queue.push_back({r.requirement, "", r.origin});
    std::map<std::string, std::set<std::string>> done;  // name -> extras already expanded
    std::set<std::string> reported;
    while (!queue.empty()) {
        auto item = std::move(queue.front());
        queue.pop_front();
        std::set<std::string> extras;
        for (const auto& e : item.requirement.extras) extras.insert(pep508::canonicalize_name(e));
        auto name = item.requirement.canonical_name();
        auto allowed_by_constraints = [&](const pep440::Version& v) {
            for (const auto& c : constraints) {
                if (c.requirement.canonical_name() != name) continue;
                if (c.requirement.marker) {
                    auto active = c.requirement.marker->evaluate(env);
                    if (!active || !*active) continue;
                }
                if (!c.requirement.specifier.contains(v, true)) return false;
            }
            return true;
        };
        if (auto kept = image.find(name); kept != image.end()) {
            if (kept->second
                    ? item.requirement.specifier.contains(*kept->second, true) && allowed_by_constraints(*kept->second)
                    : item.requirement.specifier.empty()) {
                continue;
            }
        }
        const BundledWheel* best = nullptr;
        std::vector<std::string> seen;
        auto it = by_name.find(name);
        if (it != by_name.end()) {
            for (const auto* w : it->second) {
                if (!w->version) continue;
                seen.push_back(w->info.filename);
                if (!w->info.compatible) continue;
                if (!item.requirement.specifier.contains(*w->version, true)) continue;
                if (!allowed_by_constraints(*w->version)) continue;
                if (best == nullptr || *best->version < *w->version) best = w;
            }
        }
        if (best == nullptr) {
            std::string wanted = item.requirement.to_string();
            if (!reported.insert(wanted + "|" + item.parent).second) continue;
            std::string found =
                seen.empty()
                    ? std::string("the bundle has no wheel of ") + name
                    : "no bundled wheel fits the target and the specifier (bundled: " + util::join(seen, ", ") + ")";
            if (item.parent.empty()) {
                problems.push_back(problem("unsatisfiable", fmt::format("{} ({}): {}", wanted, item.origin, found),
                                           std::string(k_requirements)));
            } else {
                problems.push_back(problem("missing_dependency",
                                           fmt::format("{} requires {}, but {}", item.parent, wanted, found),
                                           item.parent));
            }
            continue;
        }
        auto [pos, inserted] = done.try_emplace(name);
        bool fresh = inserted;
        for (const auto& e : extras) fresh = pos->second.insert(e).second || fresh;
        if (!fresh) continue;
        auto deps = best->metadata->requires_dist();
        if (!deps) continue;  // reported by the resolver
        for (const auto& dep : *deps) {
            if (dep.marker) {
                auto active = dep.marker->evaluate(env, extras);
                if (!active || !*active) continue;
            }
            queue.push_back({dep, fmt::format("{} {}", best->info.name, best->info.version), item.origin});
        }
    }
}

}  // namespace

auto mwaa_adds_airflow_constraints(std::string_view requirements_text) -> bool {
    // MWAA runs re.search(r"-c |--constraint ", line) on each line; neither pattern spans a line break, so the
    // search over the whole text answers the same.
    return requirements_text.find("-c ") == std::string_view::npos &&
           requirements_text.find("--constraint ") == std::string_view::npos;
}

auto scan_mwaa_requirements(std::string_view text, std::string_view plugins_path, std::string_view wheel_dir)
    -> RequirementsScan {
    RequirementsScan scan;
    const std::string file(k_requirements);
    std::string expected_links(strip_trailing_slashes(plugins_path));
    if (!wheel_dir.empty()) expected_links += "/" + std::string(strip_trailing_slashes(wheel_dir));
    bool no_index = false;
    std::vector<std::string> links;
    std::vector<std::string> out_lines;
    for (const auto& logical : logical_lines(text)) {
        auto line = util::trim(strip_comment(logical.text));
        bool handled = true;
        if (line.starts_with("-c") || line.starts_with("--constraint")) {
            // MWAA's own check: "-c " or "--constraint " with a space. Any other spelling is invisible to it,
            // and it then appends its own constraints file, which may clash with the bundle.
            auto value = option_value(line, "--constraint", "-c");
            bool recognised = line.starts_with("-c ") || line.starts_with("--constraint ");
            if (!recognised) {
                scan.problems.push_back(problem(
                    "constraint_not_recognised",
                    fmt::format("'{}': MWAA only recognises a constraint line written '-c PATH' or '--constraint PATH' "
                                "(with a space); it would add its own constraints file",
                                line),
                    file, logical.first));
            }
            if (value) {
                auto path = unquote(*value);
                if (is_url(path)) {
                    scan.problems.push_back(problem(
                        "constraint_url",
                        fmt::format("constraint file '{}' is a URL: MWAA in private network mode cannot fetch it",
                                    path),
                        file, logical.first));
                } else if (!scan.constraint_path) {
                    scan.constraint_path = std::string(path);
                    scan.constraint_line = logical.first;
                }
            }
        } else if (auto value = option_value(line, "--find-links", "-f")) {
            links.emplace_back(strip_trailing_slashes(unquote(*value)));
        } else if (line == "--no-index") {
            no_index = true;
        } else if (option_value(line, "--index-url", "-i") || option_value(line, "--extra-index-url", "")) {
            // Harmless with --no-index (pip then ignores it); its absence is reported below.
        } else if (option_value(line, "--requirement", "-r")) {
            scan.problems.push_back(problem(
                "unsupported_line", fmt::format("'{}': an included file cannot be checked from the bundle", line), file,
                logical.first));
        } else {
            handled = false;
        }
        out_lines.push_back(handled ? std::string() : logical.text);
        for (int k = 1; k < logical.count; ++k) out_lines.emplace_back();
    }
    if (!no_index) {
        scan.problems.push_back(problem("no_index",
                                        "requirements.txt has no --no-index line: pip on MWAA would try to reach "
                                        "PyPI, which private network mode cannot",
                                        file));
    }
    bool found = false;
    for (const auto& link : links) {
        auto plain = link;
        if (plain.starts_with("file://")) plain = plain.substr(7);
        if (plain == expected_links) found = true;
    }
    if (!found) {
        scan.problems.push_back(problem(
            "find_links",
            links.empty() ? fmt::format("requirements.txt has no --find-links {} line: pip would not find the bundled "
                                        "wheels",
                                        expected_links)
                          : fmt::format("--find-links points at {}, not at {} where MWAA unzips the wheels",
                                        util::join(links, ", "), expected_links),
            file));
    }
    if (!scan.constraint_path && std::none_of(scan.problems.begin(), scan.problems.end(), [](const Problem& p) {
            return p.kind == "constraint_url" || p.kind == "constraint_not_recognised";
        })) {
        scan.problems.push_back(problem("constraint_missing",
                                        "requirements.txt has no '--constraint PATH' line: MWAA would add its own "
                                        "constraints file, which may not match the bundled wheels",
                                        file));
    }
    for (const auto& l : out_lines) {
        scan.requirement_text += l;
        scan.requirement_text += '\n';
    }
    return scan;
}

namespace {

// dist/ as one build: each file against build-report.json's digests (app/dist.hpp).
auto dist_set_problems(const fs::path& dist) -> std::vector<Problem> {
    std::vector<Problem> out;
    for (const auto& m : check_dist(dist).mismatches) {
        out.push_back(problem(m.file == k_dist_report ? "report_mismatch" : "hash_mismatch",
                              fmt::format("{}: {} (is dist/ the output of one build? a build interrupted between "
                                          "its renames leaves a mixed set: run the build again)",
                                          m.file, m.message),
                              m.file));
    }
    return out;
}

}  // namespace

auto verify(const VerifyOptions& options) -> Expected<VerifyResult> {
    VerifyResult result;
    result.target = options.target.name();
    auto& problems = result.problems;
    // 0. The files belong together; anything else found in a mixed set would be about a bundle nobody built.
    problems = dist_set_problems(options.dist);
    if (!problems.empty()) return result;
    const auto plugins_path = std::string(strip_trailing_slashes(options.plugins_path));

    // 1. The requirements file MWAA reads.
    auto requirements_text = util::read_file(options.dist / k_requirements);
    if (!requirements_text) {
        problems.push_back(problem("missing_file",
                                   fmt::format("cannot read {}: {}", (options.dist / k_requirements).string(),
                                               requirements_text.error().message),
                                   std::string(k_requirements)));
    }
    RequirementsScan scan;
    if (requirements_text) scan = scan_mwaa_requirements(*requirements_text, plugins_path, options.wheel_dir);
    problems.insert(problems.end(), scan.problems.begin(), scan.problems.end());

    std::vector<resolve::RootRequirement> roots;
    reqfile::ParseOptions parse;
    parse.environment = [](std::string_view) { return std::optional<std::string>(); };
    if (requirements_text) {
        auto parsed = reqfile::parse_text(scan.requirement_text, k_requirements, parse);
        if (!parsed) {
            problems.push_back(problem("unsupported_line", parsed.error().to_string(), std::string(k_requirements),
                                       parsed.error().location.line));
        } else {
            for (const auto& entry : parsed->requirements) {
                if (entry.kind == reqfile::EntryKind::wheel_url || entry.requirement.url) {
                    problems.push_back(
                        problem("unsupported_line",
                                fmt::format("'{}': a URL requirement cannot be installed offline", entry.text),
                                std::string(k_requirements), entry.origin.line));
                    continue;
                }
                roots.push_back({entry.requirement, entry.origin.to_string()});
            }
        }
    }

    // 2. The bundle.
    auto contents = bundle::read_plugins(options.dist / k_plugins, options.wheel_dir);
    if (!contents) {
        problems.push_back(problem(fs::exists(options.dist / k_plugins) ? "unreadable" : "missing_file",
                                   contents.error().to_string(), std::string(k_plugins)));
        return result;
    }
    for (const auto& other : contents->others) {
        if (is_sdist_name(other.name)) {
            problems.push_back(problem("sdist",
                                       fmt::format("{} is a source distribution: MWAA cannot build it offline; {}",
                                                   other.name, resolve::sdist_hint),
                                       other.name));
        }
    }

    // 3. The constraints file the requirements point at, read from the bundle.
    std::vector<resolve::Constraint> constraints;
    if (scan.constraint_path) {
        std::string path = *scan.constraint_path;
        std::string prefix = plugins_path + "/";
        std::optional<std::string> text;
        if (path.starts_with(prefix)) {
            auto member = path.substr(prefix.size());
            if (member == bundle::k_constraints_name) {
                text = contents->constraints;
            } else if (contents->reader.find(member) != nullptr) {
                if (auto bytes = contents->reader.read(member, bundle::k_max_constraints_size))
                    text = std::move(*bytes);
            }
        }
        if (!text) {
            problems.push_back(
                problem("constraint_not_bundled",
                        fmt::format("the constraint file {} is not in plugins.zip (MWAA unzips it into {})", path,
                                    plugins_path),
                        std::string(k_requirements), scan.constraint_line));
        } else {
            auto opts = parse;
            opts.constraint = true;
            auto parsed = reqfile::parse_text(*text, bundle::k_constraints_name, opts);
            if (!parsed) {
                problems.push_back(problem("unsupported_line", parsed.error().to_string(),
                                           std::string(bundle::k_constraints_name), parsed.error().location.line));
            } else {
                for (const auto& entry : parsed->constraints) {
                    if (entry.kind != reqfile::EntryKind::named || entry.requirement.url) {
                        problems.push_back(
                            problem("unsupported_line",
                                    fmt::format("'{}': a constraint must be a name and a specifier", entry.text),
                                    std::string(bundle::k_constraints_name), entry.origin.line));
                        continue;
                    }
                    constraints.push_back(
                        {entry.requirement, entry.origin.to_string(), resolve::ConstraintSource::user});
                }
            }
        }
    }
    if (options.preset) {
        std::string origin = fmt::format("MWAA essential constraints for Airflow {}", options.preset->airflow_version);
        for (const auto& pin : essential_pins(*options.preset)) {
            if (auto req = pep508::Requirement::parse(pin))
                constraints.push_back({*req, origin, resolve::ConstraintSource::mwaa_essential});
        }
    }
    // MWAA's command: safe-pip-install (pip3 install --constraint $MWAA_ESSENTIAL_CONSTRAINTS_FILE) -r
    // requirements.txt, plus -c $AIRFLOW_CONSTRAINTS_FILE when it finds no constraint in the file.
    result.command = {
        "pip3", "install", "--constraint", "$MWAA_ESSENTIAL_CONSTRAINTS_FILE", "-r", std::string(k_requirements)};
    if (requirements_text && options.image_constraints && mwaa_adds_airflow_constraints(*requirements_text)) {
        result.command.insert(result.command.end(), {"-c", "$AIRFLOW_CONSTRAINTS_FILE"});
        std::erase_if(problems, [](const Problem& p) { return p.kind == "constraint_missing"; });
        result.warnings.push_back(problem("image_constraints",
                                          "requirements.txt has no constraint line, so MWAA adds the image's Airflow "
                                          "constraints (" +
                                              options.image_constraints_origin + "); the check applies them",
                                          std::string(k_requirements)));
        auto opts = parse;
        opts.constraint = true;
        auto parsed = reqfile::parse_text(*options.image_constraints, options.image_constraints_origin, opts);
        if (parsed) {
            for (const auto& entry : parsed->constraints) {
                if (entry.kind == reqfile::EntryKind::named && !entry.requirement.url)
                    constraints.push_back(
                        {entry.requirement, entry.origin.to_string(), resolve::ConstraintSource::airflow});
            }
        }
    }

    // 4. Every wheel: readable, RECORD intact, built for the target.
    auto scratch = TempDir::create();
    if (!scratch) return unexpected(std::move(scratch).error());
    auto wheels = open_wheels(*contents, options, scratch->path(), problems);
    for (const auto& w : wheels) result.wheels.push_back(w.info);

    // 5. Hashes against the build report, when there is one.
    std::set<std::string> replaced_by_build;  // image packages the build said the bundle replaces
    bool report_has_image = false;            // ... and whether it was built against the image at all
    if (auto report_text = util::read_file(options.dist / k_report)) {
        auto report = nlohmann::json::parse(*report_text, nullptr, false);
        if (report.is_discarded() || !report.is_object()) {
            problems.push_back(
                problem("report_mismatch", "build-report.json is not valid JSON", std::string(k_report)));
        } else {
            std::map<std::string, std::string> reported;
            if (report.contains("packages") && report["packages"].is_array()) {
                for (const auto& p : report["packages"]) {
                    if (p.is_object() && p.contains("filename") && p["filename"].is_string() && p.contains("sha256") &&
                        p["sha256"].is_string()) {
                        reported[p["filename"].get<std::string>()] = p["sha256"].get<std::string>();
                    }
                }
            }
            report_has_image = report.contains("image") && report["image"].is_object();
            if (report_has_image && report["image"].contains("replaced") && report["image"]["replaced"].is_array()) {
                for (const auto& r : report["image"]["replaced"]) {
                    if (r.is_object() && r.contains("name") && r["name"].is_string())
                        replaced_by_build.insert(pep508::canonicalize_name(r["name"].get<std::string>()));
                }
            }
            std::set<std::string> bundled;
            for (const auto& w : wheels) {
                bundled.insert(w.info.filename);
                auto it = reported.find(w.info.filename);
                if (it == reported.end()) {
                    problems.push_back(
                        problem("report_mismatch",
                                fmt::format("{} is in plugins.zip but not in build-report.json", w.info.filename),
                                w.info.filename));
                } else if (!w.info.sha256.empty() && it->second != w.info.sha256) {
                    problems.push_back(problem("hash_mismatch",
                                               fmt::format("{}: sha256 {} in plugins.zip, {} in build-report.json",
                                                           w.info.filename, w.info.sha256, it->second),
                                               w.info.filename));
                }
            }
            for (const auto& [filename, sha] : reported) {
                if (bundled.count(filename) == 0) {
                    problems.push_back(
                        problem("report_mismatch",
                                fmt::format("{} is in build-report.json but not in plugins.zip", filename), filename));
                }
            }
        }
    }

    // 6. Satisfiability: a dependency walk for plain messages, then the resolver over the bundle for the exact
    // answer (what pip --no-index --find-links would do).
    std::size_t before = problems.size();
    check_closure(roots, constraints, wheels, options.target, options.installed, problems);
    if (!roots.empty()) {
        BundleProvider provider(wheels);
        resolve::Request request;
        request.requirements = roots;
        request.constraints = constraints;
        request.target = options.target;
        request.options.only_binary = true;
        if (options.installed) request.installed = options.installed->packages;
        auto resolution = resolve::resolve(request, provider);
        if (!resolution) {
            if (problems.size() == before)
                problems.push_back(problem("unsatisfiable", resolution.error().message, std::string(k_requirements)));
        } else {
            for (const auto& p : resolution->packages) {
                const auto pin = p.name + "==" + (p.version_known ? p.version.to_string() : std::string("?"));
                (p.installed ? result.kept : result.installs).push_back(pin);
                if (p.installed || !p.replaces || !options.installed) continue;
                // An image-aware build names what it replaces; a bundle built without the image (--full-bundle,
                // an explicit target, no report) made no claim, so it is worth a warning, not a failure.
                if (replaced_by_build.count(p.name) == 0) {
                    (report_has_image ? problems : result.warnings)
                        .push_back(problem(
                            "replaces_image_package",
                            fmt::format("pip on {} would replace the image's {} {} with the bundled {}{}",
                                        options.target.name(), p.name,
                                        p.replaces->empty() ? "(version unknown)" : *p.replaces, p.version.to_string(),
                                        report_has_image ? ", and build-report.json does not say the build meant it"
                                                         : " (the bundle was not built against the image)"),
                            p.file.filename));
                }
            }
            std::sort(result.installs.begin(), result.installs.end());
            std::sort(result.kept.begin(), result.kept.end());
            // A wheel pip does not install is bytes to upload and unzip on every container for nothing.
            std::set<std::string> installs(result.installs.begin(), result.installs.end());
            for (const auto& w : wheels) {
                if (!w.parsed || installs.count(w.info.name + "==" + w.parsed->version().to_string()) != 0) continue;
                result.warnings.push_back(
                    problem("unused_wheel",
                            fmt::format("{} ({}) is not installed by pip on {}{}", w.info.filename,
                                        bundle::format_size(w.info.size), options.target.name(),
                                        options.installed ? " (the image already has what it would provide)" : ""),
                            w.info.filename));
            }
        }
    }
    return result;
}

auto verify_json(const VerifyResult& result) -> nlohmann::json {
    auto wheels = nlohmann::json::array();
    for (const auto& w : result.wheels) {
        wheels.push_back({{"filename", w.filename},
                          {"name", w.name},
                          {"version", w.version},
                          {"sha256", w.sha256},
                          {"size", w.size},
                          {"compatible", w.compatible}});
    }
    auto problems = nlohmann::json::array();
    for (const auto& p : result.problems) {
        nlohmann::json j = {{"kind", p.kind}, {"message", p.message}};
        if (!p.file.empty()) j["file"] = p.file;
        if (p.line > 0) j["line"] = p.line;
        problems.push_back(std::move(j));
    }
    auto warnings = nlohmann::json::array();
    for (const auto& p : result.warnings) {
        nlohmann::json j = {{"kind", p.kind}, {"message", p.message}};
        if (!p.file.empty()) j["file"] = p.file;
        warnings.push_back(std::move(j));
    }
    return {{"ok", result.ok()},   {"target", result.target}, {"wheels", wheels},     {"installs", result.installs},
            {"kept", result.kept}, {"problems", problems},    {"warnings", warnings}, {"command", result.command}};
}

}  // namespace wheelhouse::app
