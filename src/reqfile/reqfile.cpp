#include "wheelhouse/reqfile/reqfile.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "paths.hpp"
#include "text.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::reqfile {

using detail::LogicalLine;
using detail::Token;

auto Origin::to_string() const -> std::string {
    return fmt::format("{}:{}", file, line);
}

auto to_string(EntryKind kind) -> std::string_view {
    switch (kind) {
        case EntryKind::named: return "named";
        case EntryKind::wheel_path: return "wheel_path";
        case EntryKind::wheel_url: return "wheel_url";
    }
    return "named";
}

auto IndexOptions::effective_index_urls() const -> std::vector<std::string> {
    if (no_index) return {};
    std::vector<std::string> out{index_url.value_or(std::string(pypi_simple_url))};
    out.insert(out.end(), extra_index_urls.begin(), extra_index_urls.end());
    return out;
}

namespace {

namespace fs = std::filesystem;

enum class Dest {
    index_url,
    extra_index_urls,
    no_index,
    constraints,
    requirements,
    editables,
    find_links,
    no_binary,
    only_binary,
    prefer_binary,
    require_hashes,
    pre,
    trusted_hosts,
    features_enabled,
    global_options,
    hashes,
    config_settings,
};

struct OptionSpec {
    std::string_view short_name;  // "-i", or empty
    std::array<std::string_view, 3> long_names;
    Dest dest;
    bool takes_value;
};

// The options pip accepts in a requirements file (pip 24.2: SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ).
constexpr std::array<OptionSpec, 17> option_specs{{
    {"-i", {"--index-url", "--pypi-url", {}}, Dest::index_url, true},
    {{}, {"--extra-index-url", {}, {}}, Dest::extra_index_urls, true},
    {{}, {"--no-index", {}, {}}, Dest::no_index, false},
    {"-c", {"--constraint", {}, {}}, Dest::constraints, true},
    {"-r", {"--requirement", {}, {}}, Dest::requirements, true},
    {"-e", {"--editable", {}, {}}, Dest::editables, true},
    {"-f", {"--find-links", {}, {}}, Dest::find_links, true},
    {{}, {"--no-binary", {}, {}}, Dest::no_binary, true},
    {{}, {"--only-binary", {}, {}}, Dest::only_binary, true},
    {{}, {"--prefer-binary", {}, {}}, Dest::prefer_binary, false},
    {{}, {"--require-hashes", {}, {}}, Dest::require_hashes, false},
    {{}, {"--pre", {}, {}}, Dest::pre, false},
    {{}, {"--trusted-host", {}, {}}, Dest::trusted_hosts, true},
    {{}, {"--use-feature", {}, {}}, Dest::features_enabled, true},
    {{}, {"--global-option", {}, {}}, Dest::global_options, true},
    {{}, {"--hash", {}, {}}, Dest::hashes, true},
    {"-C", {"--config-settings", {}, {}}, Dest::config_settings, true},
}};

constexpr std::array<std::string_view, 3> known_features{"fast-deps", "truststore", "no-binary-enable-wheel-cache"};

struct Valued {
    std::string value;
    std::size_t offset = 0;  // in the logical line
};

// What one line's options say.
struct LineOptions {
    std::optional<Valued> index_url;
    std::vector<Valued> extra_index_urls;
    bool no_index = false;
    std::vector<Valued> constraints;
    std::vector<Valued> requirements;
    std::vector<Valued> editables;
    std::vector<Valued> find_links;
    bool prefer_binary = false;
    bool require_hashes = false;
    bool pre = false;
    std::vector<Valued> trusted_hosts;
    std::vector<Valued> features_enabled;
    std::vector<Valued> global_options;
    std::map<std::string, std::vector<std::string>> hashes;
    std::map<std::string, std::vector<std::string>> config_settings;
    std::vector<std::string> used;        // option names as matched, for warnings
    std::vector<std::string> positional;  // stray words after the options (pip ignores them)
    std::size_t positional_offset = 0;
};

auto is_hex(std::string_view s) -> bool {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return util::is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

auto is_vcs_scheme(std::string_view scheme) -> bool {
    for (std::string_view vcs : {"git+", "hg+", "svn+", "bzr+"}) {
        if (scheme.substr(0, vcs.size()) == vcs) return true;
    }
    return false;
}

auto is_url_requirement(std::string_view s) -> bool {
    auto scheme = detail::url_scheme(s);
    if (scheme.empty()) return false;
    static constexpr std::array<std::string_view, 26> schemes{
        "http",     "https",    "file",      "ftp",      "bzr+http", "bzr+https", "bzr+ssh",
        "bzr+sftp", "bzr+ftp",  "bzr+lp",    "bzr+file", "git+http", "git+https", "git+ssh",
        "git+git",  "git+file", "hg+file",   "hg+http",  "hg+https", "hg+ssh",    "hg+static-http",
        "svn+ssh",  "svn+http", "svn+https", "svn+svn",  "svn+file"};
    return std::find(schemes.begin(), schemes.end(), scheme) != schemes.end();
}

constexpr std::string_view build_wheel_hint =
    "build a wheel (`pip wheel --no-deps <project> -w wheels/`) and list the .whl file or its name==version; "
    "MWAA in private network mode installs from wheels only and cannot reach VCS hosts or build sources";

class Parser {
public:
    explicit Parser(const ParseOptions& options) : m_options(options) {}

    auto run(const std::string& name, std::optional<std::string_view> text) -> Expected<RequirementsFile> {
        auto r = parse_source(name, m_options.constraint, text, Location{}, 0);
        if (!r) return unexpected(std::move(r).error());
        return std::move(m_result);
    }

private:
    const ParseOptions& m_options;
    RequirementsFile m_result;
    std::vector<std::string> m_stack_keys;
    std::vector<std::string> m_stack_names;
    std::vector<std::string> m_sticky_features;
    std::string m_file;  // file being parsed (for errors)
    const LogicalLine* m_line = nullptr;

    auto location(std::size_t offset) const -> Location {
        auto p = m_line->at(offset);
        return Location{m_file, p.line, p.column};
    }

    auto fail(std::size_t offset, std::string message, std::string hint = {}, std::string context = {}) const
        -> Unexpected<Error> {
        auto e = make_error(ErrorCode::invalid_input, std::move(message), location(offset), std::move(hint));
        // The line may hold an index URL with a password (-i https://user:pass@host/simple).
        e.error.context = util::redact_urls_in(context.empty() ? m_line->text : context);
        return e;
    }

    void warn(std::size_t offset, std::string message) {
        m_result.warnings.push_back({location(offset), std::move(message)});
    }

    auto load(const std::string& name, const Location& at) -> Expected<std::string> {
        auto scheme = detail::url_scheme(name);
        if (detail::has_include_scheme(name) && (scheme == "http" || scheme == "https")) {
            if (!m_options.fetcher) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("cannot read '{}': no network access", util::redact_url(name)), at,
                                  "download the file and include it by path");
            }
            auto body = m_options.fetcher(name);
            if (!body) {
                auto e = std::move(body).error();
                e.message = fmt::format("cannot read '{}': {}", util::redact_url(name), e.message);
                e.location = at;  // the including line is what the user can fix
                return unexpected(std::move(e));
            }
            return std::move(*body);
        }
        std::string path = name;
        if (detail::has_include_scheme(name) && scheme == "file") {
            // pip reads file: includes through its session, which only knows "file://" URLs.
            if (!util::starts_with_icase(name, "file://")) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("cannot read '{}': file URLs start with file://", util::redact_url(name)),
                                  at, "write a relative path without file:, or file:///absolute/path");
            }
            auto p = detail::file_url_to_path(name);
            if (!p) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("non-local file URL '{}'", util::redact_url(name)), at,
                                  "use a local path or an http(s) URL");
            }
            path = *p;
        }
        std::error_code ec;
        auto status = fs::status(path, ec);
        if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
            // Directories, devices and pipes: reading them could fail or never end.
            return make_error(ErrorCode::invalid_input,
                              fmt::format("cannot read requirements file '{}': not a regular file", name), at,
                              "name the requirements file itself (e.g. -r requirements.txt), not its folder");
        }
        auto content = util::read_file(path);
        if (!content) {
            return make_error(ErrorCode::not_found, fmt::format("cannot open requirements file '{}'", name), at,
                              "paths in -r/-c are relative to the file that includes them");
        }
        return std::move(*content);
    }

    auto identity(const std::string& name) const -> std::string {
        auto scheme = detail::url_scheme(name);
        if (detail::has_include_scheme(name) && scheme != "file") return name;
        std::string path = name;
        if (scheme == "file") path = detail::file_url_to_path(name).value_or(name);
        std::error_code ec;
        auto canonical = fs::weakly_canonical(path, ec);
        return ec ? detail::absolute_path(path) : canonical.string();
    }

    auto parse_source(const std::string& name, bool constraint, std::optional<std::string_view> given_text,
                      const Location& at, int depth) -> Expected<void> {
        auto key = identity(name);
        if (std::find(m_stack_keys.begin(), m_stack_keys.end(), key) != m_stack_keys.end()) {
            std::string chain;
            for (const auto& n : m_stack_names) chain += util::redact_url(n) + " -> ";
            chain += util::redact_url(name);
            return make_error(ErrorCode::invalid_input, fmt::format("requirements files include each other: {}", chain),
                              at, "remove one of the -r/-c lines");
        }
        if (depth > m_options.max_include_depth) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("requirements files nested deeper than {}", m_options.max_include_depth), at);
        }
        std::string bytes;
        if (given_text) {
            bytes = std::string(*given_text);
        } else {
            auto loaded = load(name, at);
            if (!loaded) return unexpected(std::move(loaded).error());
            bytes = std::move(*loaded);
        }
        if (std::find(m_result.files.begin(), m_result.files.end(), name) == m_result.files.end()) {
            m_result.files.push_back(name);
        }
        auto text = detail::decode(bytes, util::redact_url(name));
        if (!text) return unexpected(std::move(text).error());
        auto lines = detail::logical_lines(*text, m_options.environment);

        m_stack_keys.push_back(key);
        m_stack_names.push_back(name);
        for (const auto& line : lines) {
            // A label: locations and origins end up in lock files and reports, so not even the user name.
            m_file = util::stored_url(name);
            m_line = &line;
            auto r = handle_line(line, name, constraint, depth);
            if (!r) return r;
        }
        m_stack_keys.pop_back();
        m_stack_names.pop_back();
        return {};
    }

    // optparse, as pip configures it: long options by unique prefix, `--opt=value`, `-xVALUE`,
    // positional words allowed anywhere (and ignored), `--` ends the options.
    auto parse_options(const std::vector<Token>& tokens, std::size_t base, LineOptions& lo) -> Expected<void> {
        std::vector<Valued> rargs;
        rargs.reserve(tokens.size());
        for (const auto& t : tokens) rargs.push_back({t.value, base + t.offset});
        std::size_t k = 0;
        auto take_value = [&](std::string_view opt, std::size_t at) -> Expected<Valued> {
            if (k >= rargs.size()) return fail(at, fmt::format("{} option requires 1 argument", opt));
            return rargs[k++];
        };
        while (k < rargs.size()) {
            auto arg = rargs[k];
            if (arg.value == "--") {
                ++k;
                for (; k < rargs.size(); ++k) {
                    if (lo.positional.empty()) lo.positional_offset = rargs[k].offset;
                    lo.positional.push_back(rargs[k].value);
                }
                break;
            }
            const OptionSpec* spec = nullptr;
            std::string matched;
            std::optional<Valued> explicit_value;
            if (arg.value.rfind("--", 0) == 0) {
                ++k;
                std::string opt = arg.value;
                if (auto eq = opt.find('='); eq != std::string::npos) {
                    explicit_value = Valued{opt.substr(eq + 1), arg.offset + eq + 1};
                    opt = opt.substr(0, eq);
                }
                std::vector<std::pair<std::string_view, const OptionSpec*>> candidates;
                for (const auto& s : option_specs) {
                    for (auto n : s.long_names) {
                        if (n.empty()) continue;
                        if (n == opt) {
                            candidates = {{n, &s}};
                            goto matched_long;  // NOLINT(cppcoreguidelines-avoid-goto): exact match wins
                        }
                        if (n.substr(0, opt.size()) == opt) candidates.emplace_back(n, &s);
                    }
                }
            matched_long:
                if (candidates.empty()) {
                    return fail(arg.offset, fmt::format("no such option: {}", opt),
                                "see `pip help install` for the options a requirements file accepts", arg.value);
                }
                if (candidates.size() > 1) {
                    std::vector<std::string> names;
                    for (auto& c : candidates) names.emplace_back(c.first);
                    std::sort(names.begin(), names.end());
                    return fail(arg.offset, fmt::format("ambiguous option: {} ({}?)", opt, util::join(names, ", ")),
                                "spell the option in full", arg.value);
                }
                spec = candidates.front().second;
                matched = std::string(candidates.front().first);
                if (!spec->takes_value && explicit_value) {
                    return fail(arg.offset, fmt::format("{} option does not take a value", matched), {}, arg.value);
                }
                if (spec->takes_value && explicit_value) {
                    rargs.insert(rargs.begin() + static_cast<std::ptrdiff_t>(k), *explicit_value);
                }
            } else if (arg.value.size() > 1 && arg.value[0] == '-') {
                ++k;
                std::string opt = arg.value.substr(0, 2);
                for (const auto& s : option_specs) {
                    if (s.short_name == opt) spec = &s;
                }
                if (spec == nullptr) {
                    return fail(arg.offset, fmt::format("no such option: {}", opt),
                                "see `pip help install` for the options a requirements file accepts", arg.value);
                }
                matched = opt;
                // Every short option here takes a value: the rest of the word is it.
                if (arg.value.size() > 2) {
                    rargs.insert(rargs.begin() + static_cast<std::ptrdiff_t>(k),
                                 Valued{arg.value.substr(2), arg.offset + 2});
                }
            } else {
                if (lo.positional.empty()) lo.positional_offset = arg.offset;
                lo.positional.push_back(arg.value);
                ++k;
                continue;
            }
            lo.used.push_back(matched);
            if (!spec->takes_value) {
                switch (spec->dest) {
                    case Dest::no_index: lo.no_index = true; break;
                    case Dest::prefer_binary: lo.prefer_binary = true; break;
                    case Dest::require_hashes: lo.require_hashes = true; break;
                    case Dest::pre: lo.pre = true; break;
                    default: break;
                }
                continue;
            }
            auto v = take_value(matched, arg.offset);
            if (!v) return unexpected(std::move(v).error());
            auto value = std::move(*v);
            switch (spec->dest) {
                case Dest::index_url: lo.index_url = value; break;
                case Dest::extra_index_urls: lo.extra_index_urls.push_back(value); break;
                case Dest::constraints: lo.constraints.push_back(value); break;
                case Dest::requirements: lo.requirements.push_back(value); break;
                case Dest::editables: lo.editables.push_back(value); break;
                case Dest::find_links: lo.find_links.push_back(value); break;
                case Dest::trusted_hosts: lo.trusted_hosts.push_back(value); break;
                case Dest::global_options: lo.global_options.push_back(value); break;
                case Dest::features_enabled:
                    if (std::find(known_features.begin(), known_features.end(), value.value) == known_features.end()) {
                        return fail(value.offset,
                                    fmt::format("option --use-feature: invalid choice: '{}' (choose from 'fast-deps', "
                                                "'truststore', 'no-binary-enable-wheel-cache')",
                                                value.value),
                                    {}, value.value);
                    }
                    lo.features_enabled.push_back(value);
                    // pip's --use-feature appends to a default list shared by every line's parser, so a
                    // value once seen (even on a requirement line) is part of every later option line.
                    m_sticky_features.push_back(value.value);
                    break;
                case Dest::no_binary:
                case Dest::only_binary: {
                    // pip applies these while parsing, to the finder, whatever else the line holds.
                    auto r = apply_format_control(value, spec->dest == Dest::no_binary);
                    if (!r) return r;
                    break;
                }
                case Dest::hashes: {
                    auto colon = value.value.find(':');
                    if (colon == std::string::npos) {
                        return fail(value.offset,
                                    fmt::format("arguments to {} must be a hash name followed by a value, like "
                                                "--hash=sha256:abcde...",
                                                matched),
                                    {}, value.value);
                    }
                    auto algo = value.value.substr(0, colon);
                    auto digest = value.value.substr(colon + 1);
                    std::size_t want = algo == "sha256" ? 64 : algo == "sha384" ? 96 : algo == "sha512" ? 128 : 0;
                    if (want == 0) {
                        return fail(value.offset,
                                    fmt::format("allowed hash algorithms for {} are sha256, sha384, sha512", matched),
                                    {}, value.value);
                    }
                    // Stricter than pip, which only finds out at install time.
                    if (digest.size() != want || !is_hex(digest)) {
                        return fail(value.offset + colon + 1,
                                    fmt::format("{} digest must be {} hexadecimal digits", algo, want),
                                    "copy the digest again (e.g. from `pip hash FILE`)", value.value);
                    }
                    lo.hashes[algo].push_back(digest);
                    break;
                }
                case Dest::config_settings: {
                    auto eq = value.value.find('=');
                    if (eq == std::string::npos) {
                        return fail(value.offset, fmt::format("arguments to {} must be of the form KEY=VAL", matched),
                                    {}, value.value);
                    }
                    lo.config_settings[value.value.substr(0, eq)].push_back(value.value.substr(eq + 1));
                    break;
                }
                default: break;
            }
        }
        return {};
    }

    auto apply_format_control(const Valued& value, bool no_binary) -> Expected<void> {
        auto& target = no_binary ? m_result.options.no_binary : m_result.options.only_binary;
        auto& other = no_binary ? m_result.options.only_binary : m_result.options.no_binary;
        if (!value.value.empty() && value.value[0] == '-') {
            return fail(value.offset, "--no-binary / --only-binary option requires 1 argument", {}, value.value);
        }
        std::vector<std::string> names;
        for (auto part : util::split(value.value, ',')) names.emplace_back(part);
        auto all = std::find(names.begin(), names.end(), ":all:");
        while (all != names.end()) {
            other.clear();
            target.clear();
            target.insert(":all:");
            names.erase(names.begin(), all + 1);
            if (std::find(names.begin(), names.end(), ":none:") == names.end()) return {};
            all = std::find(names.begin(), names.end(), ":all:");
        }
        for (const auto& n : names) {
            if (n == ":none:") {
                target.clear();
                continue;
            }
            auto canonical = pep508::canonicalize_name(n);
            other.erase(canonical);
            target.insert(canonical);
        }
        return {};
    }

    auto handle_line(const LogicalLine& line, const std::string& file, bool constraint, int depth) -> Expected<void> {
        // pip splits on single spaces: words up to the first one starting with '-' are the requirement.
        const std::string& t = line.text;
        std::size_t options_at = t.size();
        for (std::size_t pos = 0;;) {
            auto sp = t.find(' ', pos);
            auto end = sp == std::string::npos ? t.size() : sp;
            if (end > pos && t[pos] == '-') {
                options_at = pos;
                break;
            }
            if (sp == std::string::npos) break;
            pos = sp + 1;
        }
        std::string args = options_at == t.size() ? t : (options_at == 0 ? std::string{} : t.substr(0, options_at - 1));
        std::string_view options_text =
            options_at < t.size() ? std::string_view(t).substr(options_at) : std::string_view{};

        std::vector<Token> tokens;
        if (auto err = detail::shell_split(options_text, tokens)) {
            return fail(options_at + err->offset, fmt::format("could not split options: {}", err->message),
                        "check the quoting", std::string(options_text));
        }
        LineOptions lo;
        auto parsed = parse_options(tokens, options_at, lo);
        if (!parsed) return parsed;

        if (!args.empty()) return add_requirement(args, lo, file, line, constraint);
        if (!lo.editables.empty()) {
            return fail(lo.editables.front().offset, "editable requirements (-e) are not supported",
                        std::string(build_wheel_hint), lo.editables.front().value);
        }
        if (!lo.requirements.empty() || !lo.constraints.empty()) {
            bool nested_constraint = lo.requirements.empty();
            const auto& target = nested_constraint ? lo.constraints.front() : lo.requirements.front();
            if (lo.used.size() > 1 || !lo.positional.empty()) {
                warn(0, "options after the first -r/-c on this line are ignored (pip ignores them too)");
            }
            std::string child = target.value;
            if (detail::has_include_scheme(file)) {
                child = detail::url_join(file, child);
            } else if (!detail::has_include_scheme(child)) {
                child = detail::posix_join(detail::posix_dirname(file), child);
            }
            auto at = location(target.offset);
            auto saved_line = m_line;
            auto r = parse_source(child, nested_constraint, std::nullopt, at, depth + 1);
            m_line = saved_line;
            m_file = util::stored_url(file);
            return r;
        }
        apply_option_line(lo, file);
        return {};
    }

    void apply_option_line(const LineOptions& lo, const std::string& file) {
        auto& o = m_result.options;
        if (!lo.hashes.empty()) warn(0, "--hash without a requirement on the same line is ignored");
        if (!lo.global_options.empty() || !lo.config_settings.empty()) {
            warn(0, "--global-option / --config-settings without a requirement on the same line are ignored");
        }
        if (!lo.positional.empty()) {
            warn(lo.positional_offset,
                 fmt::format("'{}' after the options is ignored (pip ignores it too)", util::join(lo.positional, " ")));
        }
        if (lo.require_hashes) o.require_hashes = true;
        for (const auto& f : m_sticky_features) {
            if (std::find(o.features_enabled.begin(), o.features_enabled.end(), f) == o.features_enabled.end())
                o.features_enabled.push_back(f);
        }
        if (lo.no_index) {
            o.no_index = true;
            o.index_url.reset();
            o.extra_index_urls.clear();
        }
        if (lo.index_url && !lo.index_url->value.empty() && !o.no_index) {
            o.index_url = lo.index_url->value;
            o.extra_index_urls.clear();
        }
        if (!lo.extra_index_urls.empty() && !o.no_index) {
            for (const auto& e : lo.extra_index_urls) o.extra_index_urls.push_back(e.value);
        }
        if (!lo.find_links.empty()) {
            // pip keeps only the first -f of a line, and prefers a path next to the requirements file.
            std::string value = lo.find_links.front().value;
            auto relative = detail::posix_join(detail::posix_dirname(detail::absolute_path(file)), value);
            std::error_code ec;
            if (fs::exists(relative, ec)) value = relative;
            o.find_links.push_back(value);
            if (lo.find_links.size() > 1)
                warn(lo.find_links[1].offset, "only the first -f of a line is used (as pip does)");
        }
        if (lo.pre) o.pre = true;
        if (lo.prefer_binary) o.prefer_binary = true;
        for (const auto& h : lo.trusted_hosts) {
            if (std::find(o.trusted_hosts.begin(), o.trusted_hosts.end(), h.value) == o.trusted_hosts.end())
                o.trusted_hosts.push_back(h.value);
        }
    }

    // The position of `offset` within the args text; args start the logical line.
    auto add_requirement(const std::string& args, const LineOptions& lo, const std::string& file,
                         const LogicalLine& line, bool constraint) -> Expected<void> {
        Entry entry;
        entry.text = args;
        entry.origin = {util::stored_url(file), line.number};
        entry.constraint = constraint;
        entry.hashes = lo.hashes;
        for (const auto& g : lo.global_options) entry.global_options.push_back(g.value);
        entry.config_settings = lo.config_settings;
        {
            std::vector<std::string> ignored;
            for (const auto& u : lo.used) {
                if (u != "--hash" && u != "--global-option" && u != "-C" && u != "--config-settings" &&
                    u != "--no-binary" && u != "--only-binary")
                    ignored.push_back(u);
            }
            if (!ignored.empty()) {
                warn(args.size(),
                     fmt::format("{} on a requirement line is ignored (as pip does); put it on its own line",
                                 util::join(ignored, ", ")));
            }
            if (!lo.positional.empty()) {
                warn(lo.positional_offset, fmt::format("'{}' after the options is ignored (pip ignores it too)",
                                                       util::join(lo.positional, " ")));
            }
        }

        // pip: a URL line takes its marker after "; ", anything else after ";".
        std::string_view text = args;
        std::string_view sep = is_url_requirement(text) ? "; " : ";";
        std::string_view name_part = text;
        std::optional<pep508::Marker> marker;
        if (auto s = text.find(sep); s != std::string_view::npos) {
            name_part = text.substr(0, s);
            auto rest = text.substr(s + sep.size());
            auto [mf, ml] = detail::strip_bounds(rest);
            if (ml > mf) {
                std::size_t marker_at = s + sep.size() + mf;
                auto m = pep508::Marker::parse(rest.substr(mf, ml - mf));
                if (!m) return requirement_error(m.error(), marker_at, "invalid marker");
                marker = std::move(*m);
            }
        }
        auto [nf, nl] = detail::strip_bounds(name_part);
        std::string name(name_part.substr(nf, nl - nf));

        if (is_url_requirement(name)) {
            auto scheme = detail::url_scheme(name);
            if (is_vcs_scheme(scheme)) {
                return fail(nf, "VCS requirements are not supported", std::string(build_wheel_hint), name);
            }
            auto filename = detail::url_filename(name);
            if (detail::pip_extension(filename) != ".whl") {
                return fail(nf, "a URL requirement must point to a wheel (.whl) file", std::string(build_wheel_hint),
                            name);
            }
            auto req = wheel_requirement(filename, nf);
            if (!req) return unexpected(std::move(req).error());
            entry.kind = EntryKind::wheel_url;
            entry.location = name;
            entry.requirement = std::move(*req);
        } else {
            // pip looks at the file system (relative to the working directory) to tell paths from names.
            auto path = detail::absolute_path(name);
            std::string extras;
            if (path.size() > 2 && path.back() == ']') {
                auto open = path.rfind('[');
                if (open != std::string::npos && open > 0 && open + 2 < path.size() &&
                    path.find(']', open) == path.size() - 1) {
                    extras = path.substr(open);
                    path = path.substr(0, path.size() - extras.size());
                }
            }
            bool looks_like_path = name.find('/') != std::string::npos || (!name.empty() && name[0] == '.');
            std::error_code ec;
            auto ext = detail::pip_extension(detail::posix_basename(path));
            static constexpr std::array<std::string_view, 12> archives{".zip",    ".whl", ".tar.bz2", ".tbz",
                                                                       ".tar.gz", ".tgz", ".tar",     ".tar.xz",
                                                                       ".txz",    ".tlz", ".tar.lz",  ".tar.lzma"};
            auto lower_ext = util::to_lower(ext);
            bool archive = std::find(archives.begin(), archives.end(), lower_ext) != archives.end();
            bool is_path = false;
            if (looks_like_path && fs::is_directory(path, ec)) {
                return fail(nf, "local project directories are not supported", std::string(build_wheel_hint), name);
            }
            if (archive) {
                if (fs::is_regular_file(path, ec)) {
                    is_path = true;
                } else {
                    auto at = name.find('@');
                    auto before = name.substr(0, at);
                    bool before_is_path =
                        before.find('/') != std::string::npos || (!before.empty() && before[0] == '.');
                    is_path = at == std::string::npos || before_is_path;
                }
            }
            if (is_path) {
                if (ext != ".whl") {
                    return fail(nf, "source archives are not supported; only wheel (.whl) files",
                                std::string(build_wheel_hint), name);
                }
                auto req = wheel_requirement(detail::posix_basename(path), nf);
                if (!req) return unexpected(std::move(req).error());
                if (!extras.empty()) {
                    auto placeholder = pep508::Requirement::parse("placeholder" + util::to_lower(extras));
                    if (!placeholder) {
                        return fail(nf + name.size() - extras.size(), "invalid extras", {}, extras);
                    }
                    req->extras = placeholder->extras;
                }
                entry.kind = EntryKind::wheel_path;
                entry.location = name.substr(0, name.size() - extras.size());
                entry.requirement = std::move(*req);
            } else {
                auto req = pep508::Requirement::parse(name);
                if (!req) {
                    std::string hint;
                    if (name.find('/') != std::string::npos) {
                        hint = "it looks like a path; a requirements file is included with -r";
                    } else if (name.find('=') != std::string::npos && name.find("==") == std::string::npos &&
                               name.find(">=") == std::string::npos && name.find("<=") == std::string::npos &&
                               name.find("!=") == std::string::npos && name.find("~=") == std::string::npos) {
                        hint = "= is not a valid operator; did you mean == ?";
                    }
                    return requirement_error(req.error(), nf, "invalid requirement", hint);
                }
                if (req->url) {
                    auto scheme = detail::url_scheme(*req->url);
                    if (is_vcs_scheme(scheme)) {
                        return fail(nf + name.find(*req->url), "VCS requirements are not supported",
                                    std::string(build_wheel_hint), name);
                    }
                    auto filename = detail::url_filename(*req->url);
                    auto uext = util::to_lower(detail::pip_extension(filename));
                    if (uext != ".whl" && std::find(archives.begin(), archives.end(), uext) != archives.end()) {
                        return fail(nf + name.find(*req->url),
                                    "source archives are not supported; only wheel (.whl) files",
                                    std::string(build_wheel_hint), name);
                    }
                }
                entry.kind = EntryKind::named;
                entry.requirement = std::move(*req);
            }
        }
        if (marker) entry.requirement.marker = std::move(marker);
        (constraint ? m_result.constraints : m_result.requirements).push_back(std::move(entry));
        return {};
    }

    auto requirement_error(const Error& inner, std::size_t base, std::string_view what, std::string hint = {})
        -> Unexpected<Error> {
        std::size_t col = inner.location.column > 0 ? static_cast<std::size_t>(inner.location.column - 1) : 0;
        if (hint.empty()) hint = inner.hint;
        if (hint.empty()) {
            hint = what == "invalid marker"
                       ? "a marker compares a variable with a quoted string, e.g. python_version >= \"3.11\" and "
                         "sys_platform == \"linux\""
                       : "write NAME[EXTRAS] SPECIFIERS ; MARKER (PEP 508), e.g. requests[socks]>=2.31,<3 ; "
                         "python_version >= \"3.11\"";
        }
        auto e = fail(base + col, fmt::format("{}: {}", what, inner.message), hint);
        return e;
    }

    // pip's loose wheel file name split (name-version[-build]-py-abi-platform.whl), then name==version.
    auto wheel_requirement(const std::string& filename, std::size_t offset) -> Expected<pep508::Requirement> {
        std::string stem = filename.substr(0, filename.size() - 4);
        auto parts = util::split(stem, '-');
        auto bad_part = [](std::string_view p) {
            return p.empty() || std::any_of(p.begin(), p.end(), [](char c) { return util::is_ascii_space(c); });
        };
        bool ok = parts.size() == 5 || parts.size() == 6;
        if (ok) {
            ok = !bad_part(parts[0]) && !bad_part(parts[parts.size() - 1]) && !bad_part(parts[parts.size() - 2]) &&
                 !bad_part(parts[parts.size() - 3]);
            if (parts.size() == 6) ok = ok && !parts[2].empty() && util::is_ascii_digit(parts[2][0]);
            for (char c : parts[1])
                if (util::is_ascii_space(c)) ok = false;
        }
        if (!ok) {
            return fail(offset, fmt::format("'{}' is not a valid wheel file name", filename),
                        "wheel files are named name-version-pythontag-abitag-platformtag.whl", filename);
        }
        auto name = std::string(parts[0]);
        auto version = std::string(parts[1]);
        std::replace(name.begin(), name.end(), '_', '-');
        std::replace(version.begin(), version.end(), '_', '-');
        auto req = pep508::Requirement::parse(name + "==" + version);
        if (!req) {
            return fail(
                offset,
                fmt::format("wheel file name '{}' gives an invalid requirement: {}", filename, req.error().message), {},
                filename);
        }
        return req;
    }
};

}  // namespace

auto parse_file(std::string_view path_or_url, const ParseOptions& options) -> Expected<RequirementsFile> {
    Parser parser(options);
    return parser.run(std::string(path_or_url), std::nullopt);
}

auto parse_text(std::string_view text, std::string_view origin_name, const ParseOptions& options)
    -> Expected<RequirementsFile> {
    Parser parser(options);
    return parser.run(std::string(origin_name), text);
}

}  // namespace wheelhouse::reqfile
