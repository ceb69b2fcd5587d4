#include "wheelhouse/resolve/resolve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/tags/filename.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::resolve {

auto to_string(ConstraintSource source) -> const char* {
    switch (source) {
        case ConstraintSource::user: return "user constraint";
        case ConstraintSource::airflow: return "Airflow constraint";
        case ConstraintSource::mwaa_essential: return "MWAA essential pin";
    }
    return "constraint";
}

namespace {

using pep440::Operator;
using pep440::SpecifierSet;
using pep440::Version;

// Why a version of a project has no file the target can use.
enum class RejectKind { sdist_only, platform, python, format };

struct Rejection {
    Version version;
    RejectKind kind = RejectKind::platform;
    std::string reason;
};

constexpr std::size_t k_no_file = std::numeric_limits<std::size_t>::max();

struct VersionInfo {
    Version version;
    std::size_t file = 0;  // index into Project::files; k_no_file for an installed version the index lacks
    bool yanked = false;
    bool is_wheel = true;
    // The environment's installed distribution (pip's AlreadyInstalledCandidate), not an index file.
    bool installed = false;
    bool unknown_version = false;  // installed, version unknown: only a bare requirement is satisfied by it

    // Filled lazily when the version is tried.
    bool deps_loaded = false;
    std::optional<std::string> unusable;  // why the metadata makes this version unusable
    bool broken_metadata = false;         // ... because the metadata itself is broken (not a mismatch)
    std::vector<pep508::Requirement> requires_dist;
    std::set<std::string> provides_extra;  // canonical names
};

struct Project {
    std::string name;
    std::vector<CandidateFile> files;
    std::vector<VersionInfo> versions;     // preference order: newest first
    std::vector<Rejection> rejected;       // versions with files, none usable, newest first
    bool sdist_only_seen = false;          // some version was refused because it has only an sdist
    std::optional<std::size_t> installed;  // index into versions of the installed distribution (always last)
};

// A node of the dependency graph: a project, or a project with extras (pip's model: `a[x]` is its
// own node that depends on `a` at exactly the same version).
struct Node {
    std::string key;  // "a" or "a[x,y]"
    std::size_t project = 0;
    std::vector<std::string> extras;
};

// One requirement on a node, with where it came from.
struct Need {
    int node = 0;
    SpecifierSet spec;
    std::optional<Version> exact;  // extras node -> its base at the same version
    bool exact_installed = false;  // ... and that base candidate is the installed distribution
    std::string text;              // as shown to users, e.g. "a[x]>=1.0"
    int parent = -1;               // parent node, -1 for a top-level requirement
    std::size_t parent_version = 0;
    std::string origin;      // top-level requirements only
    bool pinned_op = false;  // ==V or ===V: what pip's PEP 592 rule calls pinned
    bool eq_op = false;      // any == or === clause (wildcards too): what pip's preference calls pinned
    bool unfree = false;
    bool mentions_pre = false;
};

struct State {
    std::map<int, std::size_t> pins;           // node -> index into its project's versions
    std::map<int, int> level_of;               // node -> decision level at which it was pinned
    std::map<int, std::vector<int>> criteria;  // node -> needs
    std::map<int, int> depth;
    std::set<int> open;  // required nodes not pinned yet (what pick() chooses from)
};

struct Failure {
    std::set<int> levels;  // decisions that the failure depends on (conflict set)
    std::vector<std::string> lines;
};

// pip (packaging 24) treats a clause as opting into prereleases when it is ==, ===, >=, <= or ~=
// with a prerelease version; '<' and '>' do not count, '!=' never does.
auto opts_into_prereleases(const pep440::Specifier& spec) -> bool {
    switch (spec.op()) {
        case Operator::equal:
        case Operator::greater_equal:
        case Operator::less_equal:
        case Operator::compatible: return spec.version() && spec.version()->is_prerelease();
        case Operator::arbitrary: {
            auto parsed = Version::parse(spec.version_text());
            return parsed && parsed->is_prerelease();
        }
        default: return false;
    }
}

auto is_pinning(const pep440::Specifier& spec) -> bool {
    return spec.op() == Operator::arbitrary || (spec.op() == Operator::equal && !spec.is_wildcard());
}

auto describe_spec_text(const pep508::Requirement& req) -> std::string {
    std::string out = pep508::canonicalize_name(req.name);
    if (!req.extras.empty()) {
        out += '[';
        for (std::size_t i = 0; i < req.extras.size(); ++i) {
            if (i > 0) out += ',';
            out += pep508::canonicalize_name(req.extras[i]);
        }
        out += ']';
    }
    out += req.specifier.to_string();
    return out;
}

constexpr std::size_t max_explanation_lines = 60;

// "1.2.0", "1.2.0 (installed)", "(installed, version unknown)".
auto version_label(const VersionInfo& v) -> std::string {
    if (v.unknown_version) return "(installed, version unknown)";
    return v.installed ? v.version.to_string() + " (installed)" : v.version.to_string();
}

class Resolver {
public:
    Resolver(const Request& request, IndexProvider& provider)
        : m_request(request), m_provider(provider), m_env(request.target.marker_environment()) {
        auto python = Version::parse(request.target.python().full_version());
        if (python) m_python = *python;
        for (const auto& dist : request.installed) m_installed.emplace(pep508::canonicalize_name(dist.name), &dist);
    }

    auto run() -> Expected<Resolution>;

private:
    // ---- index data --------------------------------------------------------------------------
    auto project_index(const std::string& name) -> std::size_t;
    auto load_project(std::size_t index) -> bool;
    auto node_for(const std::string& name, std::vector<std::string> extras) -> int;
    auto load_dependencies(int node, std::size_t version) -> const std::vector<int>*;
    // pip_split: pip's split of `a[x]>=1` into `a>=1` and `a[x]>=1` (none for `a[x]` without a specifier);
    // otherwise the base always gets a need.
    auto add_needs_for(const pep508::Requirement& req, int parent, std::size_t parent_version,
                       const std::string& origin, std::vector<int>& out, bool pip_split = false) -> void;
    // The need of an extras node's version on its base at exactly that version (pip's ExplicitRequirement).
    // counts_as_pinned: whether the complete search's order of picking treats it as a pinning specifier;
    // pip's preference does not (it has no specifier).
    auto exact_base_need(int node, std::size_t version, bool counts_as_pinned) -> int;
    // Reads a version's metadata once; false when it cannot be used (the reason is in the VersionInfo).
    auto ensure_metadata(std::size_t project, std::size_t version) -> bool;
    // A candidate's requirements as pip lists them (ExtrasCandidate: the exact base, then every requirement
    // of the base with the extras applied); nullptr when the version cannot be used.
    auto pip_dependencies(int node, std::size_t version) -> const std::vector<int>*;

    // ---- search ------------------------------------------------------------------------------
    // `incompatible`: versions known not to work (pip's incompatibilities); an installed distribution among them
    // is not offered, and the index's file of its version is then a candidate again.
    auto matches(int node, const std::vector<int>& needs, const std::vector<std::size_t>* incompatible = nullptr)
        -> std::vector<std::size_t>;
    // What matches() is given for a node: its needs and, for an extras node, its base's (pip looks up an
    // extras identifier with the base identifier's requirements too), without the extras-to-base links.
    auto needs_with_base(const State& state, int node) -> std::vector<int>;
    // parent_levels() of the node and, for an extras node, of its base.
    auto levels_with_base(const State& state, int node) -> std::set<int>;
    auto pick(const State& state) -> int;
    auto solve(State& state, int level) -> std::optional<Failure>;
    // pip's own search (resolvelib 1.0.1 with pip 24.2's provider), step for step: the set pip would
    // install, or nothing when pip would report ResolutionImpossible (or it took too many rounds).
    auto pip_resolve(const std::vector<int>& root_needs) -> std::optional<State>;
    auto parent_levels(const State& state, int node) const -> std::set<int>;
    auto pin_satisfies(const State& state, int node) const -> bool;
    auto refresh_open(State& state, int node) const -> void;
    auto connected(const State& state) const -> std::set<int>;
    auto satisfies(const Need& need, const VersionInfo& version) const -> bool;

    // ---- explanations ------------------------------------------------------------------------
    auto describe_need(const Need& need) const -> std::string;
    auto chain(int node, std::size_t version, int limit = 6) const -> std::string;
    auto explain_no_match(const State& state, int node, const std::vector<int>& needs) -> std::vector<std::string>;
    // What to do, by the kind of failure of the projects that had no usable version.
    [[nodiscard]] auto failure_hint() const -> std::string;
    auto node_label(int node, std::size_t version) const -> std::string;
    auto build_resolution(const State& state) -> Resolution;

    const Request& m_request;
    IndexProvider& m_provider;
    pep508::Environment m_env;
    Version m_python;

    // Deques: references stay valid while new projects, nodes and needs are added mid-search.
    std::deque<Project> m_projects;
    std::vector<bool> m_loaded;
    std::map<std::string, std::size_t, std::less<>> m_project_by_name;
    std::deque<Node> m_nodes;
    std::map<std::string, int, std::less<>> m_node_by_key;
    std::deque<Need> m_needs;
    std::map<std::pair<int, std::size_t>, std::vector<int>> m_dependencies;
    std::map<std::pair<int, std::size_t>, std::vector<int>> m_pip_dependencies;
    std::map<int, std::size_t> m_pip_requested;  // pip's user_requested: node -> position in the request
    std::map<std::pair<int, std::size_t>, std::string> m_unusable;
    std::map<std::string, std::vector<std::size_t>, std::less<>> m_constraints;    // project -> constraint indices
    std::map<std::string, const InstalledDistribution*, std::less<>> m_installed;  // project -> installed
    std::map<int, std::size_t> m_requested_order;
    std::set<int> m_backtrack_causes;
    std::set<std::size_t> m_failed_projects;  // projects that had no usable version at some point

    std::optional<Error> m_abort;
    std::size_t m_attempts = 0;
    std::optional<State> m_solution;
    const State* m_solution_chain_state = nullptr;  // the state chain() reads while explaining
};

auto Resolver::project_index(const std::string& name) -> std::size_t {
    auto it = m_project_by_name.find(name);
    if (it != m_project_by_name.end()) return it->second;
    Project project;
    project.name = name;
    m_projects.push_back(std::move(project));
    m_loaded.push_back(false);
    m_project_by_name.emplace(name, m_projects.size() - 1);
    return m_projects.size() - 1;
}

auto Resolver::node_for(const std::string& name, std::vector<std::string> extras) -> int {
    std::sort(extras.begin(), extras.end());
    extras.erase(std::unique(extras.begin(), extras.end()), extras.end());
    std::string key = name;
    if (!extras.empty()) {
        key += '[';
        for (std::size_t i = 0; i < extras.size(); ++i) key += (i > 0 ? "," : "") + extras[i];
        key += ']';
    }
    auto it = m_node_by_key.find(key);
    if (it != m_node_by_key.end()) return it->second;
    Node node{key, project_index(name), std::move(extras)};
    m_nodes.push_back(std::move(node));
    int id = static_cast<int>(m_nodes.size() - 1);
    m_node_by_key.emplace(key, id);
    return id;
}

// Reads a project's files once and keeps, per version, the file pip would install: wheels the
// target accepts (best tag first), sdists only where allowed, Requires-Python respected.
auto Resolver::load_project(std::size_t index) -> bool {
    if (m_loaded[index]) return true;
    if (m_abort) return false;
    auto files = m_provider.candidates(m_projects[index].name);
    if (!files) {
        m_abort = files.error();
        return false;
    }
    m_loaded[index] = true;
    Project& project = m_projects[index];
    project.files = std::move(*files);
    const auto& options = m_request.options;
    bool wheel_allowed = options.no_binary.count(project.name) == 0;
    bool sdist_allowed = options.no_binary.count(project.name) != 0 ||
                         (!options.only_binary && options.only_binary_names.count(project.name) == 0);

    struct Usable {
        std::size_t file;
        bool yanked;
        bool wheel;
        std::size_t priority;
        std::optional<tags::BuildTag> build;
    };
    struct PerVersion {
        std::vector<Usable> usable;
        std::vector<std::pair<RejectKind, std::string>> reasons;
        bool has_wheel = false;
    };
    std::map<Version, PerVersion> by_version;
    auto installed = m_installed.find(project.name);
    const InstalledDistribution* dist = installed == m_installed.end() ? nullptr : installed->second;
    std::vector<std::size_t> installed_files;  // every file of the installed version, wheels first

    for (std::size_t i = 0; i < project.files.size(); ++i) {
        const auto& file = project.files[i];
        std::optional<Version> version;
        bool wheel = false;
        std::optional<tags::WheelFilename> wheel_name;
        if (tags::is_wheel_filename(file.filename)) {
            auto parsed = tags::WheelFilename::parse(file.filename);
            if (!parsed || parsed->name() != project.name) continue;  // pip ignores such links
            version = parsed->version();
            wheel = true;
            wheel_name = std::move(*parsed);
        } else if (tags::is_sdist_filename(file.filename)) {
            auto parsed = tags::SdistFilename::parse(file.filename);
            if (!parsed || parsed->name != project.name) continue;
            version = parsed->version;
        } else {
            continue;  // eggs, installers, ...
        }
        if (dist != nullptr && dist->version && *dist->version == *version) {
            installed_files.insert(wheel ? installed_files.begin() : installed_files.end(), i);
        }
        auto& entry = by_version[*version];
        if (wheel) entry.has_wheel = true;
        if (wheel && !wheel_allowed) {
            entry.reasons.emplace_back(RejectKind::format, "its wheels are refused by --no-binary");
            continue;
        }
        if (!wheel && !sdist_allowed) {
            entry.reasons.emplace_back(RejectKind::sdist_only,
                                       "has only an sdist (source distribution), and only wheels are used");
            continue;
        }
        Usable usable{i, file.yanked, wheel, std::numeric_limits<std::size_t>::max(), std::nullopt};
        if (wheel) {
            auto rank = m_request.target.rank(*wheel_name);
            if (!rank.compatible) {
                entry.reasons.emplace_back(RejectKind::platform, "has no wheel for the target: " + rank.reason);
                continue;
            }
            usable.priority = rank.priority;
            usable.build = wheel_name->build();
        }
        if (file.requires_python) {
            // pip ignores a Requires-Python it cannot parse.
            auto spec = SpecifierSet::parse(*file.requires_python);
            if (spec && !spec->contains(m_python, true)) {
                entry.reasons.emplace_back(RejectKind::python,
                                           fmt::format("requires Python {}, but the target has Python {}",
                                                       *file.requires_python, m_python.to_string()));
                continue;
            }
        }
        entry.usable.push_back(std::move(usable));
    }

    for (auto it = by_version.rbegin(); it != by_version.rend(); ++it) {
        auto& entry = it->second;
        if (entry.usable.empty()) {
            Rejection rejection{it->first, RejectKind::platform, {}};
            // Only an sdist, and no wheel at all: the case the user can fix by building a wheel.
            bool sdist_only =
                !entry.has_wheel && std::any_of(entry.reasons.begin(), entry.reasons.end(),
                                                [](const auto& r) { return r.first == RejectKind::sdist_only; });
            std::vector<std::string> texts;
            for (const auto& [kind, text] : entry.reasons) {
                if (kind == RejectKind::sdist_only && entry.has_wheel) continue;  // the wheel reason says more
                if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(text);
                if (kind != RejectKind::sdist_only) rejection.kind = kind;
            }
            if (sdist_only) rejection.kind = RejectKind::sdist_only;
            for (std::size_t i = 0; i < texts.size(); ++i) rejection.reason += (i > 0 ? "; " : "") + texts[i];
            project.rejected.push_back(std::move(rejection));
            continue;
        }
        // The file pip would take for this version: not yanked, a wheel, the best tag, the highest build.
        auto best = std::min_element(entry.usable.begin(), entry.usable.end(), [](const Usable& a, const Usable& b) {
            if (a.yanked != b.yanked) return !a.yanked;
            if (a.wheel != b.wheel) return a.wheel;
            if (a.priority != b.priority) return a.priority < b.priority;
            return a.build.value_or(tags::BuildTag{"0", ""}) > b.build.value_or(tags::BuildTag{"0", ""});
        });
        VersionInfo info;
        info.version = it->first;
        info.file = best->file;
        info.yanked = best->yanked;
        info.is_wheel = best->wheel;
        project.versions.push_back(std::move(info));
    }
    if (options.prefer_binary) {
        std::stable_partition(project.versions.begin(), project.versions.end(),
                              [](const VersionInfo& v) { return v.is_wheel; });
    }
    if (dist != nullptr) {
        // The installed distribution, last in the list; matches() puts it first where it may be kept. Its
        // requirements come from the index's file of the same version (the one pip would pick, else any).
        VersionInfo info;
        info.installed = true;
        info.file = k_no_file;
        if (dist->version) {
            info.version = *dist->version;
            for (const auto& v : project.versions) {
                if (v.version == *dist->version) {
                    info.file = v.file;
                    info.is_wheel = v.is_wheel;
                    break;
                }
            }
            if (info.file == k_no_file && !installed_files.empty()) info.file = installed_files.front();
        } else {
            info.unknown_version = true;
        }
        project.installed = project.versions.size();
        project.versions.push_back(std::move(info));
    }
    return true;
}

auto Resolver::add_needs_for(const pep508::Requirement& req, int parent, std::size_t parent_version,
                             const std::string& origin, std::vector<int>& out, bool pip_split) -> void {
    std::string name = pep508::canonicalize_name(req.name);
    std::vector<std::string> extras;
    for (const auto& e : req.extras) extras.push_back(pep508::canonicalize_name(e));
    bool pinned = false;
    bool eq = false;
    bool pre = false;
    for (const auto& spec : req.specifier.specifiers()) {
        pinned = pinned || is_pinning(spec);
        eq = eq || spec.op() == Operator::equal || spec.op() == Operator::arbitrary;
        pre = pre || opts_into_prereleases(spec);
    }
    auto make = [&](int node, std::string text) {
        Need need;
        need.node = node;
        need.spec = req.specifier;
        need.text = std::move(text);
        need.parent = parent;
        need.parent_version = parent_version;
        need.origin = origin;
        need.pinned_op = pinned;
        need.eq_op = eq;
        need.unfree = !req.specifier.empty();
        need.mentions_pre = pre;
        m_needs.push_back(std::move(need));
        out.push_back(static_cast<int>(m_needs.size() - 1));
    };
    std::string text = describe_spec_text(req);
    if (pip_split) {
        if (extras.empty() || !req.specifier.empty()) make(node_for(name, {}), text);
        if (!extras.empty()) make(node_for(name, extras), text);
        return;
    }
    if (!extras.empty()) make(node_for(name, extras), text);
    // The base project gets the same specifier, so that it is constrained before the extras node is.
    make(node_for(name, {}), text);
}

// The requirements a candidate adds, as needs; nullptr when the version cannot be used (the
// reason is in m_unusable).
auto Resolver::load_dependencies(int node_id, std::size_t version) -> const std::vector<int>* {
    auto key = std::make_pair(node_id, version);
    if (auto it = m_dependencies.find(key); it != m_dependencies.end()) return &it->second;
    if (m_unusable.count(key) != 0) return nullptr;

    const Node node = m_nodes[static_cast<std::size_t>(node_id)];
    Project& project = m_projects[node.project];
    VersionInfo& info = project.versions[version];
    if (!ensure_metadata(node.project, version)) {
        if (info.unusable) m_unusable[key] = *info.unusable;
        return nullptr;
    }

    std::vector<int> needs;
    // pip's ExtrasCandidate: the extras node requires its base at exactly this version.
    if (!node.extras.empty()) needs.push_back(exact_base_need(node_id, version, true));
    std::set<std::string> extras(node.extras.begin(), node.extras.end());
    for (const auto& req : info.requires_dist) {
        if (req.url) continue;  // a direct reference from a published package: pip refuses these too
        bool active = true;
        if (req.marker) {
            auto with = req.marker->evaluate(m_env, extras);
            active = with && *with;
            if (active && !extras.empty()) {
                // Already a dependency of the base node (which is pinned to the same version).
                auto without = req.marker->evaluate(m_env, {});
                if (without && *without) active = false;
            }
        } else if (!extras.empty()) {
            active = false;
        }
        if (!active) continue;
        add_needs_for(req, node_id, version, {}, needs);
    }
    return &(m_dependencies[key] = std::move(needs));
}

auto Resolver::exact_base_need(int node_id, std::size_t version, bool counts_as_pinned) -> int {
    const Node& node = m_nodes[static_cast<std::size_t>(node_id)];
    const Project& project = m_projects[node.project];
    const Version& v = project.versions[version].version;
    Need base;
    base.node = node_for(project.name, {});
    base.exact = v;
    base.exact_installed = project.versions[version].installed;
    base.text = project.name + "==" + v.to_string();
    base.parent = node_id;
    base.parent_version = version;
    base.pinned_op = counts_as_pinned;
    base.unfree = counts_as_pinned;
    m_needs.push_back(std::move(base));
    return static_cast<int>(m_needs.size() - 1);
}

auto Resolver::ensure_metadata(std::size_t project_index, std::size_t version) -> bool {
    Project& project = m_projects[project_index];
    VersionInfo& info = project.versions[version];
    if (info.deps_loaded) return !info.unusable;
    info.deps_loaded = true;
    // An installed version the index lacks: nothing is known of its requirements (an image's installed set is
    // consistent: what they need is installed too).
    if (info.file == k_no_file) return true;
    auto meta = m_provider.metadata(project.name, project.files[info.file]);
    if (!meta && meta.error().code != ErrorCode::invalid_input) {
        info.deps_loaded = false;
        m_abort = meta.error();
        return false;
    }
    // pip reads an installed distribution's own metadata and checks neither its Requires-Python nor its files:
    // where the index's copy of that version cannot be used, it is kept without requirements.
    auto reqs = meta ? meta->requires_dist() : Expected<std::vector<pep508::Requirement>>(unexpected(meta.error()));
    if (info.installed) {
        if (reqs) info.requires_dist = std::move(*reqs);
    } else if (!meta) {
        info.unusable = "has unreadable metadata: " + meta.error().message;
        info.broken_metadata = true;
    } else if (!reqs) {
        info.unusable = "has unusable metadata: " + reqs.error().message;
        info.broken_metadata = true;
    } else if (auto python = meta->requires_python_specifier(); python && !python->contains(m_python, true)) {
        info.unusable = fmt::format("requires Python {}, but the target has Python {}", python->to_string(),
                                    m_python.to_string());
    } else {
        info.requires_dist = std::move(*reqs);
    }
    if (meta && !info.unusable) {
        for (const auto& e : meta->provides_extra) info.provides_extra.insert(pep508::canonicalize_name(e));
    }
    return !info.unusable;
}

auto Resolver::pip_dependencies(int node_id, std::size_t version) -> const std::vector<int>* {
    auto key = std::make_pair(node_id, version);
    if (auto it = m_pip_dependencies.find(key); it != m_pip_dependencies.end()) return &it->second;
    const Node node = m_nodes[static_cast<std::size_t>(node_id)];
    if (!ensure_metadata(node.project, version)) return nullptr;
    const Project& project = m_projects[node.project];
    const VersionInfo& info = project.versions[version];
    std::vector<int> needs;
    // pip's ExtrasCandidate: the exact base first, then the base's requirements evaluated for each extra it
    // provides (an extra it does not provide is ignored); a plain candidate evaluates markers with extra "".
    std::vector<std::string> extras;
    if (!node.extras.empty()) {
        needs.push_back(exact_base_need(node_id, version, false));
        for (const auto& e : node.extras) {
            if (info.provides_extra.count(e) != 0) extras.push_back(e);
        }
    }
    for (const auto& req : info.requires_dist) {
        if (req.url) continue;  // a direct reference from a published package: pip refuses these too
        if (req.marker) {
            bool active = false;
            if (extras.empty()) {
                auto r = req.marker->evaluate(m_env, {});
                active = r && *r;
            }
            for (const auto& e : extras) {
                auto r = req.marker->evaluate(m_env, {e});
                active = active || (r && *r);
            }
            if (!active) continue;
        }
        add_needs_for(req, node_id, version, {}, needs, true);
    }
    return &(m_pip_dependencies[key] = std::move(needs));
}

auto Resolver::satisfies(const Need& need, const VersionInfo& version) const -> bool {
    if (need.exact && (!(*need.exact == version.version) || need.exact_installed != version.installed)) return false;
    if (version.unknown_version) return need.spec.empty();
    return need.spec.contains(version.version, true);
}

// pip's find_matches for one node: the versions, best first, that every need and constraint
// admits, with pip's prerelease and yanked rules applied to the merged specifier.
auto Resolver::matches(int node_id, const std::vector<int>& needs, const std::vector<std::size_t>* incompatible)
    -> std::vector<std::size_t> {
    const Node& node = m_nodes[static_cast<std::size_t>(node_id)];
    if (!load_project(node.project)) return {};
    const Project& project = m_projects[node.project];
    std::vector<const SpecifierSet*> specs;
    std::vector<std::pair<Version, bool>> exact;  // (version, installed); a stale extras pin may leave two
    bool allow_pre = m_request.options.pre;
    bool pinned = false;
    bool any_spec = false;
    for (int n : needs) {
        const Need& need = m_needs[static_cast<std::size_t>(n)];
        if (need.exact) exact.emplace_back(*need.exact, need.exact_installed);
        specs.push_back(&need.spec);
        allow_pre = allow_pre || need.mentions_pre;
        pinned = pinned || need.pinned_op;
        any_spec = any_spec || !need.spec.empty();
    }
    if (auto it = m_constraints.find(project.name); it != m_constraints.end()) {
        for (std::size_t c : it->second) {
            const auto& spec = m_request.constraints[c].requirement.specifier;
            specs.push_back(&spec);
            for (const auto& clause : spec.specifiers()) {
                allow_pre = allow_pre || opts_into_prereleases(clause);
                pinned = pinned || is_pinning(clause);
            }
            any_spec = any_spec || !spec.empty();
        }
    }
    auto admitted = [&](const VersionInfo& v) {
        if (!std::all_of(exact.begin(), exact.end(),
                         [&](const auto& e) { return e.first == v.version && e.second == v.installed; })) {
            return false;
        }
        // pip keeps an installed version only if the merged specifier contains it (prereleases included); one of
        // unknown version only where nothing asks for a version.
        if (v.unknown_version)
            return std::all_of(specs.begin(), specs.end(), [](const SpecifierSet* s) { return s->empty(); });
        return std::all_of(specs.begin(), specs.end(),
                           [&](const SpecifierSet* s) { return s->contains(v.version, true); });
    };
    std::vector<std::size_t> out;
    if (!exact.empty()) {
        // An explicit candidate (the base of an extras node) bypasses the prerelease and yanked rules.
        for (std::size_t i = 0; i < project.versions.size(); ++i) {
            if (admitted(project.versions[i])) out.push_back(i);
        }
        return out;
    }
    std::vector<std::size_t> prereleases;
    bool any_final = false;
    for (std::size_t i = 0; i < project.versions.size(); ++i) {
        const auto& v = project.versions[i];
        if (v.installed) continue;  // offered below, ahead of the index's files
        if (!v.version.is_prerelease()) any_final = true;
        if (!admitted(v)) continue;
        if (v.version.is_prerelease() && !allow_pre) {
            prereleases.push_back(i);
            continue;
        }
        out.push_back(i);
    }
    // packaging 24 (pip 24): prereleases are the fallback only for an empty specifier and when the
    // project has no final release at all.
    if (out.empty() && !any_spec && !any_final) out = std::move(prereleases);
    // PEP 592: yanked versions only when every match is yanked and the specifier pins a version.
    bool all_yanked =
        !out.empty() && std::all_of(out.begin(), out.end(), [&](std::size_t i) { return project.versions[i].yanked; });
    if (!(all_yanked && pinned)) {
        out.erase(std::remove_if(out.begin(), out.end(), [&](std::size_t i) { return project.versions[i].yanked; }),
                  out.end());
    }
    // pip without --upgrade (FoundCandidates with prefers_installed): an installed distribution that every
    // requirement and constraint admits comes first, and the index's file of its version is left out.
    if (project.installed) {
        const std::size_t i = *project.installed;
        const auto& v = project.versions[i];
        const bool known_bad =
            incompatible != nullptr && std::find(incompatible->begin(), incompatible->end(), i) != incompatible->end();
        if (!known_bad && admitted(v)) {
            if (!v.unknown_version) {
                std::erase_if(out, [&](std::size_t k) { return project.versions[k].version == v.version; });
            }
            out.insert(out.begin(), i);
        }
    }
    return out;
}

auto Resolver::needs_with_base(const State& state, int node) -> std::vector<int> {
    std::vector<int> out;
    if (auto it = state.criteria.find(node); it != state.criteria.end()) out = it->second;
    const Node& n = m_nodes[static_cast<std::size_t>(node)];
    if (n.extras.empty()) return out;
    auto base = m_node_by_key.find(m_projects[n.project].name);
    if (base == m_node_by_key.end()) return out;
    if (auto it = state.criteria.find(base->second); it != state.criteria.end()) {
        for (int need : it->second) {
            if (!m_needs[static_cast<std::size_t>(need)].exact) out.push_back(need);
        }
    }
    return out;
}

auto Resolver::levels_with_base(const State& state, int node) -> std::set<int> {
    auto out = parent_levels(state, node);
    const Node& n = m_nodes[static_cast<std::size_t>(node)];
    if (n.extras.empty()) return out;
    if (auto base = m_node_by_key.find(m_projects[n.project].name); base != m_node_by_key.end()) {
        auto more = parent_levels(state, base->second);
        out.insert(more.begin(), more.end());
    }
    return out;
}

auto Resolver::parent_levels(const State& state, int node) const -> std::set<int> {
    std::set<int> out;
    auto it = state.criteria.find(node);
    if (it == state.criteria.end()) return out;
    for (int n : it->second) {
        const Need& need = m_needs[static_cast<std::size_t>(n)];
        if (need.parent < 0) continue;
        auto level = state.level_of.find(need.parent);
        if (level != state.level_of.end()) out.insert(level->second);
    }
    return out;
}

auto Resolver::pin_satisfies(const State& state, int node) const -> bool {
    auto pin = state.pins.find(node);
    if (pin == state.pins.end()) return false;
    const auto& version = m_projects[m_nodes[static_cast<std::size_t>(node)].project].versions[pin->second];
    auto it = state.criteria.find(node);
    if (it == state.criteria.end()) return true;
    return std::all_of(it->second.begin(), it->second.end(),
                       [&](int n) { return satisfies(m_needs[static_cast<std::size_t>(n)], version); });
}

// Open: required and not pinned, or pinned to a version some requirement excludes.
auto Resolver::refresh_open(State& state, int node) const -> void {
    if (state.criteria.count(node) != 0 && !pin_satisfies(state, node)) {
        state.open.insert(node);
    } else {
        state.open.erase(node);
    }
}

// The nodes a top-level requirement reaches through current pins: what only an old pin's needs
// brought in is not part of the result.
auto Resolver::connected(const State& state) const -> std::set<int> {
    std::set<int> out;
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& [node, needs] : state.criteria) {
            if (out.count(node) != 0 || state.pins.count(node) == 0) continue;
            bool live = std::any_of(needs.begin(), needs.end(), [&](int n) {
                const Need& need = m_needs[static_cast<std::size_t>(n)];
                if (need.parent < 0) return true;
                auto pin = state.pins.find(need.parent);
                return out.count(need.parent) != 0 && pin != state.pins.end() && pin->second == need.parent_version;
            });
            if (live) {
                out.insert(node);
                grew = true;
            }
        }
    }
    return out;
}

// pip's order of deciding: explicit (same-version) needs, pins, recent conflict causes, shallow
// nodes, the user's order, constrained before free, then by name.
auto Resolver::pick(const State& state) -> int {
    int best = -1;
    using Key = std::tuple<bool, bool, bool, int, std::size_t, bool, std::string_view>;
    std::optional<Key> best_key;
    for (int node : state.open) {
        const auto& needs = state.criteria.at(node);
        bool exact = false;
        bool pinned = false;
        bool unfree = false;
        for (int n : needs) {
            const Need& need = m_needs[static_cast<std::size_t>(n)];
            exact = exact || need.exact.has_value();
            pinned = pinned || need.pinned_op;
            unfree = unfree || need.unfree;
        }
        auto requested = m_requested_order.find(node);
        auto depth = state.depth.find(node);
        Key key{!exact,
                !pinned,
                m_backtrack_causes.count(node) == 0,
                depth == state.depth.end() ? 1 : depth->second,
                requested == m_requested_order.end() ? std::numeric_limits<std::size_t>::max() : requested->second,
                !unfree,
                m_nodes[static_cast<std::size_t>(node)].key};
        if (!best_key || key < *best_key) {
            best_key = std::move(key);
            best = node;
        }
    }
    return best;
}

// Depth-first search with conflict-directed backjumping: a failure carries the decision levels it
// depends on, and a decision that is not among them is skipped over (trying its other candidates
// cannot help). Every candidate is otherwise tried, so the search is complete.
auto Resolver::solve(State& state, int level) -> std::optional<Failure> {
    int node = pick(state);
    if (node < 0) {
        m_solution = state;
        return std::nullopt;
    }
    const std::vector<int> needs = state.criteria.at(node);
    const std::vector<int> lookup = needs_with_base(state, node);
    auto candidates = matches(node, lookup);
    if (m_abort) return Failure{};
    std::set<int> conflict = levels_with_base(state, node);
    // A pinned node is open again when a later requirement excludes its pin (see the loop below);
    // it is re-pinned in place, the old pin coming back on undo.
    std::optional<std::pair<std::size_t, int>> old_pin;
    if (auto pin = state.pins.find(node); pin != state.pins.end()) {
        old_pin = std::make_pair(pin->second, state.level_of.at(node));
        conflict.insert(old_pin->second);
    }
    if (candidates.empty()) {
        m_failed_projects.insert(m_nodes[static_cast<std::size_t>(node)].project);
        return Failure{conflict, explain_no_match(state, node, lookup)};
    }
    const std::size_t project = m_nodes[static_cast<std::size_t>(node)].project;

    std::vector<std::pair<std::string, std::vector<std::string>>> tried;  // (version, reason lines)
    for (std::size_t candidate : candidates) {
        if (++m_attempts > m_request.options.max_attempts) {
            m_abort = Error{ErrorCode::resolution,
                            fmt::format("gave up after trying {} candidate versions; the requirements are too "
                                        "loosely constrained to resolve (add tighter specifiers or constraints)",
                                        m_request.options.max_attempts),
                            {},
                            {},
                            {}};
            return Failure{};
        }
        const std::string version_text = version_label(m_projects[project].versions[candidate]);
        const auto* deps = load_dependencies(node, candidate);
        if (m_abort) return Failure{};
        if (deps == nullptr) {
            tried.push_back({version_text, {m_unusable[{node, candidate}]}});
            continue;
        }
        // Pin in place; everything is undone below unless the search succeeds.
        State& next = state;
        next.pins[node] = candidate;
        next.level_of[node] = level;
        next.open.erase(node);
        int parent_depth = next.depth.count(node) != 0 ? next.depth.at(node) : 1;
        std::vector<int> pushed;
        std::vector<std::pair<int, std::optional<int>>> old_depths;
        std::vector<std::pair<int, std::vector<int>>> dropped;  // criteria before a re-opened pin's needs left
        auto undo = [&] {
            // Restored first: the saved criteria end with the needs pushed below, which are popped next.
            for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) next.criteria[it->first] = it->second;
            for (auto it = pushed.rbegin(); it != pushed.rend(); ++it) {
                auto& criterion = next.criteria[*it];
                criterion.pop_back();
                if (criterion.empty()) next.criteria.erase(*it);
            }
            for (auto it = old_depths.rbegin(); it != old_depths.rend(); ++it) {
                if (it->second) {
                    next.depth[it->first] = *it->second;
                } else {
                    next.depth.erase(it->first);
                }
            }
            if (old_pin) {
                next.pins[node] = old_pin->first;
                next.level_of[node] = old_pin->second;
            } else {
                next.pins.erase(node);
                next.level_of.erase(node);
            }
            refresh_open(next, node);
            for (int n : pushed) refresh_open(next, n);
            for (const auto& d : dropped) refresh_open(next, d.first);
        };

        std::vector<std::string> names;
        for (int n : *deps) {
            std::size_t p = m_nodes[static_cast<std::size_t>(m_needs[static_cast<std::size_t>(n)].node)].project;
            if (!m_loaded[p]) names.push_back(m_projects[p].name);
        }
        if (!names.empty()) {
            std::sort(names.begin(), names.end());
            names.erase(std::unique(names.begin(), names.end()), names.end());
            m_provider.prefetch(names);
        }

        std::optional<std::vector<std::string>> reason;
        std::set<int> touched;
        std::set<int> satisfied_before;  // pinned nodes the new needs name, whose pin held before them
        for (int n : *deps) {
            const int target = m_needs[static_cast<std::size_t>(n)].node;
            if (target != node && pin_satisfies(next, target)) satisfied_before.insert(target);
        }
        for (int n : *deps) {
            const Need& need = m_needs[static_cast<std::size_t>(n)];
            next.criteria[need.node].push_back(n);
            pushed.push_back(need.node);
            touched.insert(need.node);
            auto d = next.depth.find(need.node);
            if (d == next.depth.end()) {
                old_depths.emplace_back(need.node, std::nullopt);
                next.depth[need.node] = parent_depth + 1;
            } else if (d->second > parent_depth + 1) {
                old_depths.emplace_back(need.node, d->second);
                d->second = parent_depth + 1;
            }
        }
        // pip (resolvelib 1.0) recomputes the matches of every project a new requirement names,
        // pinned or not: none left is a conflict. A pin that the new requirement excludes is not a
        // conflict: the project is pinned again later, keeping the requirements of the old pin.
        if (!reason) {
            for (int target : touched) {
                auto found = matches(target, needs_with_base(next, target));
                if (m_abort) return Failure{};
                if (found.empty()) {
                    auto levels = levels_with_base(next, target);
                    conflict.insert(levels.begin(), levels.end());
                    m_backtrack_causes = {node, target};
                    m_failed_projects.insert(m_nodes[static_cast<std::size_t>(target)].project);
                    reason = explain_no_match(next, target, needs_with_base(next, target));
                    break;
                }
            }
        }
        // pip (resolvelib 1.0) then forgets every need made by a pin that the new needs exclude: that project is
        // pinned again later, from what the others require (its old pin's needs no longer count). An emptied
        // criterion stays, as resolvelib's does.
        if (!reason) {
            for (int target : satisfied_before) {
                if (pin_satisfies(next, target)) continue;
                for (auto& [other, other_needs] : next.criteria) {
                    auto made_by_target = [&](int id) {
                        return m_needs[static_cast<std::size_t>(id)].parent == target;
                    };
                    if (std::none_of(other_needs.begin(), other_needs.end(), made_by_target)) continue;
                    dropped.emplace_back(other, other_needs);
                    std::erase_if(other_needs, made_by_target);
                }
            }
            for (const auto& d : dropped) refresh_open(next, d.first);
        }
        for (int target : touched) refresh_open(next, target);
        if (reason) {
            undo();
            tried.push_back({version_text, std::move(*reason)});
            continue;
        }
        auto failure = solve(next, level + 1);
        if (!failure) return std::nullopt;
        undo();
        if (m_abort) return failure;
        if (failure->levels.count(level) == 0) return failure;  // this decision is not to blame: jump back
        failure->levels.erase(level);
        conflict.insert(failure->levels.begin(), failure->levels.end());
        tried.push_back({version_text, std::move(failure->lines)});
    }

    // Only earlier decisions can be blamed for this node's failure.
    conflict.erase(conflict.lower_bound(level), conflict.end());
    // Group versions that failed for the same reason: "b 3.0, 2.0, 1.0: depends on a==1.0 ...".
    Failure failure{conflict, {}};
    const std::string& key = m_nodes[static_cast<std::size_t>(node)].key;
    failure.lines.push_back(fmt::format("no version of {} can be used:", key));
    for (std::size_t i = 0; i < tried.size();) {
        std::size_t j = i + 1;
        while (j < tried.size() && tried[j].second == tried[i].second) ++j;
        std::string versions;
        for (std::size_t k = i; k < j; ++k) versions += (k > i ? ", " : "") + tried[k].first;
        const auto& lines = tried[i].second;
        if (lines.size() == 1) {
            failure.lines.push_back(fmt::format("  {} {}: {}", key, versions, lines[0]));
        } else {
            failure.lines.push_back(fmt::format("  {} {}:", key, versions));
            for (const auto& line : lines) failure.lines.push_back("    " + line);
        }
        i = j;
    }
    if (failure.lines.size() > max_explanation_lines) {
        std::size_t dropped = failure.lines.size() - max_explanation_lines;
        failure.lines.resize(max_explanation_lines);
        failure.lines.push_back(fmt::format("  ... ({} more lines)", dropped));
    }
    return failure;
}

// ---- pip's own search ------------------------------------------------------------------------
// resolvelib 1.0.1 as pip 24.2 drives it, step for step, so that where pip finds a solution this is
// the one it finds: a stack of states (pins in pinning order, a criterion per node with the needs on
// it, its candidates as computed when they were last narrowed, and the versions known not to work);
// each round pins the preferred unsatisfied node; a failure backjumps to the latest pin whose
// dependencies name one of the nodes involved and marks that pin incompatible. It is not complete
// (resolvelib 1.0.1 can give up although a solution exists): run() then falls back to solve().

struct PipCriterion {
    std::vector<int> information;                // needs on the node
    std::vector<std::size_t> candidates;         // version indexes, best first
    std::vector<std::size_t> incompatibilities;  // versions known not to work
};

struct PipState {
    std::vector<std::pair<int, std::size_t>> mapping;           // pins, in pinning order
    std::vector<std::ptrdiff_t> pin;                            // node -> version index or -1
    std::vector<int> order;                                     // criteria keys, in insertion order
    std::vector<std::shared_ptr<const PipCriterion>> criteria;  // node -> criterion (shared between states)
    std::vector<int> backtrack_causes;                          // needs

    auto criterion(int node) const -> const PipCriterion* {
        auto n = static_cast<std::size_t>(node);
        return n < criteria.size() ? criteria[n].get() : nullptr;
    }
    auto pinned(int node) const -> std::ptrdiff_t {
        auto n = static_cast<std::size_t>(node);
        return n < pin.size() ? pin[n] : -1;
    }
    void set(int node, PipCriterion c) {
        auto n = static_cast<std::size_t>(node);
        if (n >= criteria.size()) criteria.resize(n + 1);
        if (!criteria[n]) order.push_back(node);
        criteria[n] = std::make_shared<const PipCriterion>(std::move(c));
    }
    void set_pin(int node, std::size_t version) {
        auto n = static_cast<std::size_t>(node);
        if (n >= pin.size()) pin.resize(n + 1, -1);
        std::erase_if(mapping, [&](const auto& m) { return m.first == node; });
        mapping.emplace_back(node, version);
        pin[n] = static_cast<std::ptrdiff_t>(version);
    }
};

auto Resolver::pip_resolve(const std::vector<int>& root_needs) -> std::optional<State> {
    const std::size_t max_rounds = m_request.options.max_attempts;
    std::map<int, double> known_depths;  // pip's provider keeps these across backtracking
    const double inf = std::numeric_limits<double>::infinity();

    auto need_of = [&](int id) -> const Need& { return m_needs[static_cast<std::size_t>(id)]; };
    auto base_of = [&](int node) -> int {
        const Node& n = m_nodes[static_cast<std::size_t>(node)];
        if (n.extras.empty()) return -1;
        auto it = m_node_by_key.find(m_projects[n.project].name);
        return it == m_node_by_key.end() ? -1 : it->second;
    };
    // pip's find_matches: the node's requirements (and, for an extras node, its base's), minus the
    // incompatibilities.
    auto find_matches = [&](const PipState& state, int node, int extra_need,
                            const std::vector<std::size_t>& incompatible) -> std::vector<std::size_t> {
        std::vector<int> needs;
        if (const auto* c = state.criterion(node)) needs = c->information;
        if (extra_need >= 0) needs.push_back(extra_need);
        if (int base = base_of(node); base >= 0) {
            if (const auto* c = state.criterion(base))
                needs.insert(needs.end(), c->information.begin(), c->information.end());
        }
        auto out = matches(node, needs, &incompatible);
        std::erase_if(out, [&](std::size_t v) {
            return std::find(incompatible.begin(), incompatible.end(), v) != incompatible.end();
        });
        return out;
    };
    // A criterion's candidates are "true" when one of them can be built (pip skips those it cannot).
    auto any_usable = [&](int node, const std::vector<std::size_t>& candidates) {
        return std::any_of(candidates.begin(), candidates.end(),
                           [&](std::size_t v) { return pip_dependencies(node, v) != nullptr || m_abort; });
    };
    // resolvelib's _add_to_criteria; on a conflict, the needs of the failed criterion.
    auto add_to_criteria = [&](PipState& state, int need_id) -> std::optional<std::vector<int>> {
        const int node = need_of(need_id).node;
        const PipCriterion* old = state.criterion(node);
        PipCriterion c;
        if (old) c.incompatibilities = old->incompatibilities;
        c.candidates = find_matches(state, node, need_id, c.incompatibilities);
        if (old) c.information = old->information;
        c.information.push_back(need_id);
        if (!any_usable(node, c.candidates)) return c.information;
        state.set(node, std::move(c));
        return std::nullopt;
    };
    auto satisfying = [&](const PipState& state, int node) {
        auto pin = state.pinned(node);
        if (pin < 0) return false;
        const auto& version =
            m_projects[m_nodes[static_cast<std::size_t>(node)].project].versions[static_cast<std::size_t>(pin)];
        const auto* c = state.criterion(node);
        return std::all_of(c->information.begin(), c->information.end(),
                           [&](int n) { return satisfies(need_of(n), version); });
    };
    using Preference = std::tuple<bool, bool, bool, double, double, bool, std::string_view>;
    auto preference = [&](const PipState& state, int node) -> Preference {
        const auto& info = state.criterion(node)->information;
        // pip 24.2 computes "direct" as `candidate is not None` where candidate is the tuple of every
        // requirement's lookup: true for any node with requirements at all.
        const bool direct = !info.empty();
        bool pinned = false;
        bool unfree = false;
        for (int n : info) {
            const Need& need = need_of(n);
            if (!need.exact) {
                pinned = pinned || need.eq_op;
                unfree = unfree || need.unfree;
            }
        }
        double depth = inf;
        double requested = inf;
        if (auto it = m_pip_requested.find(node); it != m_pip_requested.end()) {
            depth = 1.0;
            requested = static_cast<double>(it->second);
        } else if (!info.empty()) {
            for (int n : info) {
                const Need& need = need_of(n);
                double d = 0.0;
                if (need.parent >= 0) {
                    auto k = known_depths.find(need.parent);
                    d = k == known_depths.end() ? inf : k->second;
                }
                depth = std::min(depth, d);
            }
            depth += 1.0;
        }
        known_depths[node] = depth;
        bool cause = std::any_of(state.backtrack_causes.begin(), state.backtrack_causes.end(),
                                 [&](int n) { return need_of(n).node == node || need_of(n).parent == node; });
        return {!direct, !pinned, !cause, depth, requested, !unfree, m_nodes[static_cast<std::size_t>(node)].key};
    };

    std::vector<PipState> states;
    states.emplace_back();
    for (int n : root_needs) {
        if (add_to_criteria(states.back(), n) || m_abort) return std::nullopt;
    }
    {
        PipState next = states.back();
        states.push_back(std::move(next));
    }

    // resolvelib's _backjump.
    auto backjump = [&](const std::vector<int>& causes) -> bool {
        std::set<int> incompatible_deps;
        for (int n : causes) {
            incompatible_deps.insert(need_of(n).node);
            if (need_of(n).parent >= 0) incompatible_deps.insert(need_of(n).parent);
        }
        while (states.size() >= 3) {
            states.pop_back();
            PipState broken;
            int name = -1;
            std::size_t candidate = 0;
            for (bool incompatible = false; !incompatible;) {
                if (states.empty()) return false;
                broken = std::move(states.back());
                states.pop_back();
                if (broken.mapping.empty()) return false;
                std::tie(name, candidate) = broken.mapping.back();
                broken.mapping.pop_back();
                const auto* deps = pip_dependencies(name, candidate);
                incompatible = deps != nullptr && std::any_of(deps->begin(), deps->end(), [&](int n) {
                                   return incompatible_deps.count(need_of(n).node) != 0;
                               });
            }
            std::vector<std::pair<int, std::vector<std::size_t>>> from_broken;
            for (int k : broken.order) from_broken.emplace_back(k, broken.criterion(k)->incompatibilities);
            from_broken.push_back({name, {candidate}});
            if (states.empty()) return false;
            PipState next = states.back();
            states.push_back(std::move(next));
            PipState& state = states.back();
            bool success = true;
            for (auto& [k, incompatible] : from_broken) {
                if (incompatible.empty()) continue;
                const PipCriterion* c = state.criterion(k);
                if (c == nullptr) continue;
                // find_matches sees the criterion's incompatibilities and these (resolvelib's IteratorMapping
                // chains them), and the criterion keeps both; as a set, without the duplicates that pile up.
                for (std::size_t v : c->incompatibilities) {
                    if (std::find(incompatible.begin(), incompatible.end(), v) == incompatible.end()) {
                        incompatible.push_back(v);
                    }
                }
                auto candidates = find_matches(state, k, -1, incompatible);
                if (m_abort) return false;
                if (!any_usable(k, candidates)) {
                    success = false;
                    break;
                }
                state.set(k, PipCriterion{c->information, std::move(candidates), incompatible});
            }
            if (success) return true;
        }
        return false;
    };

    for (std::size_t round = 0; round < max_rounds; ++round) {
        if (m_abort) return std::nullopt;
        PipState& state = states.back();
        std::vector<int> unsatisfied;
        std::set<int> satisfied;
        for (int k : state.order) {
            if (satisfying(state, k)) {
                satisfied.insert(k);
            } else {
                unsatisfied.push_back(k);
            }
        }
        if (unsatisfied.empty()) {
            State out;
            for (const auto& [node, version] : state.mapping) out.pins[node] = version;
            for (int k : state.order) out.criteria[k] = state.criterion(k)->information;
            return out;
        }
        int name = unsatisfied.front();
        Preference best = preference(state, name);
        for (std::size_t i = 1; i < unsatisfied.size(); ++i) {
            auto p = preference(state, unsatisfied[i]);
            if (p < best) {
                best = std::move(p);
                name = unsatisfied[i];
            }
        }

        // resolvelib's _attempt_to_pin_criterion.
        std::vector<int> causes;
        bool pinned = false;
        const auto criterion = state.criteria[static_cast<std::size_t>(name)];  // keeps it alive while pinning
        for (std::size_t candidate : criterion->candidates) {
            const auto* deps = pip_dependencies(name, candidate);
            if (m_abort) return std::nullopt;
            if (deps == nullptr) continue;
            std::vector<std::string> names;
            for (int n : *deps) {
                std::size_t p = m_nodes[static_cast<std::size_t>(need_of(n).node)].project;
                if (!m_loaded[p]) names.push_back(m_projects[p].name);
            }
            if (!names.empty()) {
                std::sort(names.begin(), names.end());
                names.erase(std::unique(names.begin(), names.end()), names.end());
                m_provider.prefetch(names);
            }
            PipState updated = state;
            std::optional<std::vector<int>> conflict;
            for (int n : *deps) {
                conflict = add_to_criteria(updated, n);
                if (m_abort) return std::nullopt;
                if (conflict) break;
            }
            if (conflict) {
                causes.insert(causes.end(), conflict->begin(), conflict->end());
                continue;
            }
            updated.set_pin(name, candidate);
            state = std::move(updated);
            pinned = true;
            break;
        }
        if (!pinned) {
            if (causes.empty()) return std::nullopt;  // nothing could even be tried: let solve() explain
            if (!backjump(causes)) return std::nullopt;
            states.back().backtrack_causes = causes;
            continue;
        }
        // Pins that the new requirements exclude stop counting as the parents of their requirements.
        std::set<int> newly_unsatisfied;
        for (int k : state.order) {
            if (satisfied.count(k) != 0 && !satisfying(state, k)) newly_unsatisfied.insert(k);
        }
        if (!newly_unsatisfied.empty()) {
            for (int k : state.order) {
                const auto* c = state.criterion(k);
                auto keep = [&](int n) {
                    return need_of(n).parent < 0 || newly_unsatisfied.count(need_of(n).parent) == 0;
                };
                if (std::all_of(c->information.begin(), c->information.end(), keep)) continue;
                PipCriterion copy = *c;
                std::erase_if(copy.information, [&](int n) { return !keep(n); });
                state.set(k, std::move(copy));
            }
        }
        PipState next = states.back();
        states.push_back(std::move(next));
    }
    return std::nullopt;
}

auto Resolver::node_label(int node, std::size_t version) const -> std::string {
    const Node& n = m_nodes[static_cast<std::size_t>(node)];
    return n.key + " " + version_label(m_projects[n.project].versions[version]);
}

// "requirements.txt:2 -> b 1.0.0 -> c 2.0": how a parent came to be in the set.
auto Resolver::chain(int node, std::size_t version, int limit) const -> std::string {
    std::string label = node_label(node, version);
    if (limit <= 0 || !m_solution_chain_state) return label;
    const State& state = *m_solution_chain_state;
    auto it = state.criteria.find(node);
    if (it == state.criteria.end() || it->second.empty()) return label;
    const Need& first = m_needs[static_cast<std::size_t>(it->second.front())];
    if (first.parent < 0) return (first.origin.empty() ? std::string("requested") : first.origin) + " -> " + label;
    return chain(first.parent, first.parent_version, limit - 1) + " -> " + label;
}

auto Resolver::describe_need(const Need& need) const -> std::string {
    if (need.parent < 0) {
        return fmt::format("{} (requested{})", need.text, need.origin.empty() ? "" : " in " + need.origin);
    }
    return fmt::format("{} (required by {})", need.text, chain(need.parent, need.parent_version));
}

auto Resolver::failure_hint() const -> std::string {
    bool broken_metadata = false;
    bool missing = false;
    bool no_file = false;
    for (std::size_t p : m_failed_projects) {
        const Project& project = m_projects[p];
        if (project.files.empty()) missing = true;
        if (!project.files.empty() && project.versions.empty()) no_file = true;
        for (const auto& v : project.versions) {
            if (v.broken_metadata) broken_metadata = true;
        }
    }
    for (std::size_t p : m_failed_projects) {
        auto it = m_constraints.find(m_projects[p].name);
        if (it == m_constraints.end()) continue;
        for (std::size_t c : it->second) {
            if (m_request.constraints[c].source != ConstraintSource::mwaa_essential) continue;
            return fmt::format(
                "MWAA always installs with its essential pins, and users cannot override them: pick versions "
                "of your requirements that accept {}{}, or a target whose image has a version they accept",
                m_projects[p].name, m_request.constraints[c].requirement.specifier.to_string());
        }
    }
    if (broken_metadata) {
        return "the index serves broken metadata for the versions shown: pin a version without the problem, or "
               "ask the project (or the mirror's owner) to fix the release";
    }
    if (missing) {
        return "check the spelling of the names shown, and that --index-url, --extra-index-url or --find-links "
               "include an index that has them";
    }
    if (no_file) {
        return "check --target (Python version and platform), or pin a version that publishes a wheel for it";
    }
    return "loosen the pins shown (in your requirements, your constraints or the target's Airflow constraints) "
           "so that one version of each project satisfies them all";
}

auto Resolver::explain_no_match(const State& state, int node, const std::vector<int>& needs)
    -> std::vector<std::string> {
    const Node& n = m_nodes[static_cast<std::size_t>(node)];
    const Project& project = m_projects[n.project];
    m_solution_chain_state = &state;
    std::vector<std::string> lines;
    std::vector<std::string> wanted;
    for (int id : needs) wanted.push_back(describe_need(m_needs[static_cast<std::size_t>(id)]));
    std::vector<std::string> pins;
    if (auto it = m_constraints.find(project.name); it != m_constraints.end()) {
        for (std::size_t c : it->second) {
            const auto& constraint = m_request.constraints[c];
            pins.push_back(fmt::format("{}{} ({}{})", project.name, constraint.requirement.specifier.to_string(),
                                       to_string(constraint.source),
                                       constraint.origin.empty() ? "" : ", " + constraint.origin));
        }
    }
    auto add_list = [&](const std::vector<std::string>& items, const char* indent) {
        for (const auto& item : items) lines.push_back(indent + item);
    };

    if (project.files.empty()) {
        auto skipped = m_provider.skipped(project.name);
        if (skipped.empty()) {
            lines.push_back(fmt::format("{} was not found on the index; it is needed by:", project.name));
        } else {
            lines.push_back(
                fmt::format("{} is on the index, but none of its {} links is a wheel or sdist with a "
                            "valid name; it is needed by:",
                            project.name, skipped.size()));
        }
        add_list(wanted, "  ");
        for (std::size_t i = 0; i < skipped.size() && i < 3; ++i) {
            lines.push_back("  skipped " + util::elide(skipped[i], 200));
        }
        m_solution_chain_state = nullptr;
        return lines;
    }
    if (project.versions.empty()) {
        lines.push_back(
            fmt::format("{} has no file that can be installed on the target; it is needed by:", project.name));
        add_list(wanted, "  ");
        std::size_t shown = 0;
        for (const auto& r : project.rejected) {
            if (shown++ == 5) {
                lines.push_back(fmt::format("  ... and {} more versions", project.rejected.size() - 5));
                break;
            }
            lines.push_back(fmt::format("  {} {} {}", project.name, r.version.to_string(), r.reason));
        }
        m_solution_chain_state = nullptr;
        return lines;
    }
    lines.push_back(fmt::format("no version of {} satisfies all of:", n.key));
    add_list(wanted, "  ");
    add_list(pins, "  ");

    // What would have matched the specifiers but was excluded by a rule, so the user sees why.
    auto spec_ok = [&](const Version& v) {
        for (int id : needs) {
            const Need& need = m_needs[static_cast<std::size_t>(id)];
            if ((need.exact && !(*need.exact == v)) || !need.spec.contains(v, true)) return false;
        }
        if (auto it = m_constraints.find(project.name); it != m_constraints.end()) {
            for (std::size_t c : it->second) {
                if (!m_request.constraints[c].requirement.specifier.contains(v, true)) return false;
            }
        }
        return true;
    };
    std::vector<std::string> excluded;
    for (const auto& v : project.versions) {
        if (v.installed || !spec_ok(v.version)) continue;
        if (v.version.is_prerelease()) {
            excluded.push_back(
                fmt::format("{} {} is a prerelease (allowed with --pre, or when a specifier names a "
                            "prerelease)",
                            project.name, v.version.to_string()));
        } else if (v.yanked) {
            const auto& file = project.files[v.file];
            excluded.push_back(fmt::format("{} {} is yanked{} (used only when pinned with ==)", project.name,
                                           v.version.to_string(),
                                           file.yanked_reason.empty() ? "" : ": " + file.yanked_reason));
        }
    }
    for (const auto& r : project.rejected) {
        if (spec_ok(r.version))
            excluded.push_back(fmt::format("{} {} {}", project.name, r.version.to_string(), r.reason));
    }
    std::string available;
    std::size_t count = 0;
    std::vector<const VersionInfo*> listed;
    if (project.installed) listed.push_back(&project.versions[*project.installed]);
    for (const auto& v : project.versions) {
        if (!v.installed && !(project.installed && v.version == project.versions[*project.installed].version))
            listed.push_back(&v);
    }
    for (const auto* v : listed) {
        if (count == 12) {
            available += ", ...";
            break;
        }
        available += (count++ > 0 ? ", " : "") + version_label(*v);
    }
    lines.push_back(fmt::format("  available versions of {}: {}", project.name, available));
    if (excluded.size() > 8) {
        std::size_t more = excluded.size() - 8;
        excluded.resize(8);
        excluded.push_back(fmt::format("... and {} more", more));
    }
    add_list(excluded, "  ");
    m_solution_chain_state = nullptr;
    return lines;
}

auto Resolver::build_resolution(const State& state) -> Resolution {
    m_solution_chain_state = &state;
    Resolution resolution;
    std::map<std::string, ResolvedPackage> packages;
    const auto live = connected(state);
    for (const auto& [node_id, version] : state.pins) {
        if (live.count(node_id) == 0) continue;
        const Node& node = m_nodes[static_cast<std::size_t>(node_id)];
        const Project& project = m_projects[node.project];
        const VersionInfo& info = project.versions[version];
        auto& pkg = packages[project.name];
        if (pkg.name.empty()) {
            pkg.name = project.name;
            pkg.version = info.version;
            if (info.file != k_no_file) pkg.file = project.files[info.file];
            pkg.is_wheel = info.is_wheel;
            pkg.installed = info.installed;
            pkg.version_known = !info.unknown_version;
            if (!info.installed && project.installed) {
                const auto& image = project.versions[*project.installed];
                if (!image.unknown_version && image.version == info.version) {
                    pkg.installed = true;  // pip leaves an installed distribution of the chosen version alone
                } else {
                    pkg.replaces = image.unknown_version ? std::string() : image.version.to_string();
                }
            }
            if (auto it = m_constraints.find(project.name); it != m_constraints.end()) {
                for (std::size_t c : it->second) {
                    const auto& constraint = m_request.constraints[c];
                    pkg.constraints.push_back(
                        {describe_spec_text(constraint.requirement), constraint.origin, constraint.source});
                }
            }
        }
        for (const auto& extra : node.extras) pkg.extras.push_back(extra);
        for (int id : state.criteria.at(node_id)) {
            const Need& need = m_needs[static_cast<std::size_t>(id)];
            if (need.exact) continue;  // the extras node's own link to its base
            if (need.parent >= 0 && (live.count(need.parent) == 0 || state.pins.at(need.parent) != need.parent_version))
                continue;  // from a pin that was replaced
            RequiredBy by;
            by.requirement = need.text;
            if (need.parent < 0) {
                by.origin = need.origin;
            } else {
                by.parent = node_label(need.parent, need.parent_version);
                by.origin = chain(need.parent, need.parent_version);
            }
            bool seen = std::any_of(pkg.required_by.begin(), pkg.required_by.end(), [&](const RequiredBy& r) {
                return r.parent == by.parent && r.requirement == by.requirement && r.origin == by.origin;
            });
            if (!seen) pkg.required_by.push_back(std::move(by));
        }
    }
    for (auto& [name, pkg] : packages) {
        std::sort(pkg.extras.begin(), pkg.extras.end());
        pkg.extras.erase(std::unique(pkg.extras.begin(), pkg.extras.end()), pkg.extras.end());
        // Newer versions passed over for lack of a usable wheel: worth telling, as the user may
        // have expected them.
        const Project& project = m_projects[m_project_by_name[name]];
        std::size_t told = 0;
        for (const auto& r : project.rejected) {
            if (pkg.installed || !(pkg.version < r.version) || told == 3) continue;
            if (r.kind != RejectKind::sdist_only && r.kind != RejectKind::platform) continue;
            bool wanted = true;
            for (const auto& [node_id, needs] : state.criteria) {
                if (m_nodes[static_cast<std::size_t>(node_id)].project != m_project_by_name[name]) continue;
                for (int id : needs) {
                    if (!m_needs[static_cast<std::size_t>(id)].spec.contains(r.version, true)) wanted = false;
                }
            }
            if (!wanted || r.version.is_prerelease()) continue;
            ++told;
            resolution.notes.push_back(fmt::format("{} {} was passed over: it {}; {} {} was chosen instead", name,
                                                   r.version.to_string(), r.reason, name, pkg.version.to_string()));
        }
        resolution.packages.push_back(std::move(pkg));
    }
    m_solution_chain_state = nullptr;
    return resolution;
}

auto Resolver::run() -> Expected<Resolution> {
    // Constraints by project; like pip, a constraint may not carry extras or a URL.
    for (std::size_t i = 0; i < m_request.constraints.size(); ++i) {
        const auto& c = m_request.constraints[i];
        if (!c.requirement.extras.empty() || c.requirement.url) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("constraint '{}' has {}; constraints may only name a project and versions",
                                          c.requirement.to_string(), c.requirement.url ? "a URL" : "extras"),
                              Location{c.origin, 0, 0});
        }
        if (c.requirement.marker) {
            auto active = c.requirement.marker->evaluate(m_env, {});
            if (!active || !*active) continue;
        }
        m_constraints[pep508::canonicalize_name(c.requirement.name)].push_back(i);
    }

    State root;
    std::vector<int> needs;
    for (const auto& r : m_request.requirements) {
        if (r.requirement.url) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("'{}' is a direct URL requirement; give a name and version specifier "
                                          "and the index or --find-links that has the file",
                                          r.requirement.to_string()),
                              Location{r.origin, 0, 0});
        }
        if (r.requirement.marker) {
            auto active = r.requirement.marker->evaluate(m_env, {});
            if (!active) {
                return unexpected(Error{ErrorCode::invalid_input,
                                        active.error().message,
                                        Location{r.origin, 0, 0},
                                        {},
                                        r.requirement.to_string()});
            }
            if (!*active) continue;  // pip: "Ignoring ...: markers don't match your environment"
        }
        std::size_t first = needs.size();
        add_needs_for(r.requirement, -1, 0, r.origin.empty() ? "the request" : r.origin, needs);
        for (std::size_t k = first; k < needs.size(); ++k) {
            int node = m_needs[static_cast<std::size_t>(needs[k])].node;
            m_requested_order.emplace(node, m_requested_order.size());
        }
    }
    std::vector<std::string> names;
    for (int n : needs) {
        int node = m_needs[static_cast<std::size_t>(n)].node;
        root.criteria[node].push_back(n);
        root.open.insert(node);
        root.depth[node] = 1;
        names.push_back(m_projects[m_nodes[static_cast<std::size_t>(node)].project].name);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    m_provider.prefetch(names);

    // pip's search first: where it succeeds, its answer is what pip would install. Where it gives up
    // (or takes too long), the complete search below decides and explains.
    {
        std::vector<int> plain;
        std::vector<int> with_extras;  // pip puts requirements with extras after the others
        for (std::size_t i = 0; i < m_request.requirements.size(); ++i) {
            const auto& r = m_request.requirements[i];
            if (r.requirement.marker) {
                auto active = r.requirement.marker->evaluate(m_env, {});
                if (!active || !*active) continue;
            }
            std::vector<int> made;
            add_needs_for(r.requirement, -1, 0, r.origin.empty() ? "the request" : r.origin, made, true);
            if (made.empty()) continue;
            m_pip_requested.emplace(m_needs[static_cast<std::size_t>(made.front())].node, i);
            for (int n : made) {
                bool extras =
                    !m_nodes[static_cast<std::size_t>(m_needs[static_cast<std::size_t>(n)].node)].extras.empty();
                (extras ? with_extras : plain).push_back(n);
            }
        }
        plain.insert(plain.end(), with_extras.begin(), with_extras.end());
        auto found = pip_resolve(plain);
        if (m_abort) return unexpected(*m_abort);
        if (found) return build_resolution(*found);
        m_attempts = 0;
        m_failed_projects.clear();
    }

    auto failure = solve(root, 0);
    if (m_abort) return unexpected(*m_abort);
    if (!failure && m_solution) return build_resolution(*m_solution);

    std::string message = "the requirements cannot be satisfied together";
    message += " on " + m_request.target.describe() + ":";
    std::vector<std::string> lines = failure ? failure->lines : std::vector<std::string>{};
    std::string hint;
    std::vector<std::string> sdist_only;
    for (std::size_t p : m_failed_projects) {
        const Project& project = m_projects[p];
        std::vector<std::string> versions;
        for (const auto& r : project.rejected) {
            if (r.kind == RejectKind::sdist_only) versions.push_back(r.version.to_string());
        }
        if (versions.empty()) continue;
        if (versions.size() > 5) versions.resize(5);
        std::string list;
        for (std::size_t i = 0; i < versions.size(); ++i) list += (i > 0 ? ", " : "") + versions[i];
        sdist_only.push_back(
            fmt::format("{} has only source distributions (sdists) for version {}; MWAA cannot "
                        "build them offline",
                        project.name, list));
    }
    if (!sdist_only.empty()) {
        lines.insert(lines.end(), sdist_only.begin(), sdist_only.end());
        hint = std::string(sdist_hint);
    } else {
        hint = failure_hint();
    }
    for (const auto& line : lines) message += "\n  " + line;
    return unexpected(Error{ErrorCode::resolution, std::move(message), {}, std::move(hint), {}});
}

}  // namespace

auto resolve(const Request& request, IndexProvider& provider) -> Expected<Resolution> {
    Resolver resolver(request, provider);
    return resolver.run();
}

}  // namespace wheelhouse::resolve
