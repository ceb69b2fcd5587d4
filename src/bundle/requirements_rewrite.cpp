#include "wheelhouse/bundle/requirements_rewrite.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep440/version.hpp"

namespace wheelhouse::bundle {

namespace {

#ifndef WHEELHOUSE_VERSION
#define WHEELHOUSE_VERSION "0.0.0"
#endif

// Header text must stay one comment line whatever the caller passes.
auto one_line(std::string_view s) -> std::string {
    std::string out;
    for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
    return out;
}

auto header(std::string_view what, std::string_view tool_version, std::string_view target) -> std::string {
    return fmt::format("# {} written by wheelhouse {} for target {}.\n# Do not edit: rebuild it with wheelhouse.\n",
                       what, one_line(tool_version.empty() ? std::string_view(WHEELHOUSE_VERSION) : tool_version),
                       one_line(target.empty() ? std::string_view("(unnamed)") : target));
}

auto bad_value(std::string_view s) -> bool {
    return s.empty() || s.find_first_of("\"\n\r\\") != std::string_view::npos || s.find(" #") != std::string_view::npos;
}

auto is_hex(std::string_view s) -> bool {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
}

auto check_hash(std::string_view h) -> bool {
    auto colon = h.find(':');
    if (colon == std::string_view::npos) return false;
    auto algo = h.substr(0, colon);
    auto digest = h.substr(colon + 1);
    std::size_t want = algo == "sha256" ? 64 : algo == "sha384" ? 96 : algo == "sha512" ? 128 : 0;
    return want != 0 && digest.size() == want && is_hex(digest);
}

// pip reads a requirement up to the first space-separated word that starts with '-'.
auto splits_in_pip(std::string_view line) -> bool {
    std::size_t pos = 0;
    while (pos <= line.size()) {
        auto sp = line.find(' ', pos);
        auto end = sp == std::string_view::npos ? line.size() : sp;
        if (end > pos && line[pos] == '-') return true;
        if (sp == std::string_view::npos) break;
        pos = sp + 1;
    }
    return false;
}

void append_hashes(std::string& out, std::vector<std::string> hashes) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    for (const auto& h : hashes) out += " \\\n    --hash=" + h;
}

}  // namespace

auto write_mwaa_requirements(const std::vector<ResolvedRequirement>& resolved, const RewriteOptions& options)
    -> Expected<std::string> {
    if (bad_value(options.find_links) || options.find_links.find(' ') != std::string::npos) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("cannot write the --find-links path '{}' into requirements.txt: it is empty or "
                                      "holds a space, a quote, a backslash, a line break or ' #'",
                                      options.find_links),
                          {}, "choose a --plugins-path and --wheel-dir without such characters");
    }
    if (bad_value(options.constraints_path)) {
        return make_error(ErrorCode::invalid_input,
                          fmt::format("cannot write the constraints path '{}' into requirements.txt: it is empty or "
                                      "holds a quote, a backslash, a line break or ' #'",
                                      options.constraints_path),
                          {}, "choose a --plugins-path without such characters");
    }
    struct Line {
        std::string key;
        std::string text;
    };
    std::vector<Line> lines;
    for (const auto& r : resolved) {
        pep508::Requirement pinned = r.requirement;
        pinned.url.reset();  // the wheel is in the bundle; MWAA cannot reach the URL
        // A package the image has at a version nobody knows keeps the line as written (it names no version).
        if (!r.version.empty() || options.write_hashes) {
            auto version = pep440::Version::parse(r.version);
            if (!version) {
                return make_error(
                    ErrorCode::invalid_input,
                    fmt::format("resolved version '{}' of {} is not a valid version", r.version, r.requirement.name),
                    {}, "if it comes from a lock file, correct the version there or lock again");
            }
            auto pin = pep440::SpecifierSet::parse("==" + r.version);
            if (!pin) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("cannot pin {} to '{}'", r.requirement.name, r.version), {},
                                  "if it comes from a lock file, correct the version there or lock again");
            }
            pinned.specifier = std::move(*pin);
        }
        std::string text = pinned.to_string();
        if (splits_in_pip(text)) {
            return make_error(ErrorCode::invalid_input,
                              fmt::format("'{}' cannot be written so that pip reads it back", text), {},
                              "pip reads a word that starts with '-' as an option: rewrite the requirement (its "
                              "marker or extras) so that no word starts with '-'");
        }
        if (options.write_hashes) {
            if (r.hashes.empty()) {
                return make_error(ErrorCode::invalid_input,
                                  fmt::format("no hash for {} while writing hashes", pinned.name), {},
                                  "pip's hash-checking mode needs a hash for every package; write no hashes or all");
            }
            for (const auto& h : r.hashes) {
                if (!check_hash(h)) {
                    return make_error(ErrorCode::invalid_input, fmt::format("bad hash '{}' for {}", h, pinned.name), {},
                                      "hashes are written as sha256:<64 hex digits>");
                }
            }
            append_hashes(text, r.hashes);
        }
        lines.push_back({pinned.canonical_name() + "\n" + text, std::move(text)});
    }
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key < b.key; });
    lines.erase(std::unique(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.key == b.key; }),
                lines.end());

    std::string out = header("requirements.txt for MWAA", options.tool_version, options.target);
    out += fmt::format("--find-links {}\n", options.find_links);
    out += "--no-index\n";
    out += fmt::format("--constraint \"{}\"\n", options.constraints_path);
    for (const auto& l : lines) out += l.text + "\n";
    return out;
}

auto merge_constraints(const std::vector<reqfile::Entry>& user, const std::vector<reqfile::Entry>& target,
                       const MergeOptions& options) -> Expected<std::string> {
    auto marker_text = [](const reqfile::Entry& e) {
        return e.requirement.marker ? e.requirement.marker->to_string() : "";
    };
    // The version of an exact pin (== without wildcard), if the entry is one.
    auto exact_pin = [](const reqfile::Entry& e) -> std::optional<pep440::Version> {
        const auto& specs = e.requirement.specifier.specifiers();
        if (specs.size() != 1 || specs[0].op() != pep440::Operator::equal) return std::nullopt;
        const auto& v = specs[0].version_text();
        if (v.find('*') != std::string::npos) return std::nullopt;
        auto parsed = pep440::Version::parse(v);
        if (!parsed) return std::nullopt;
        return *parsed;
    };
    for (const auto& u : user) {
        for (const auto& t : target) {
            if (u.requirement.canonical_name() != t.requirement.canonical_name()) continue;
            if (marker_text(u) != marker_text(t)) continue;
            auto conflict = [&](const reqfile::Entry& pinned, const reqfile::Entry& other) {
                auto v = exact_pin(pinned);
                return v && !other.requirement.specifier.contains(*v, true);
            };
            if (conflict(u, t) || conflict(t, u)) {
                auto e = make_error(
                    ErrorCode::invalid_input,
                    fmt::format("constraint '{}' ({}) conflicts with the target's '{}' ({})", u.requirement.to_string(),
                                u.origin.to_string(), t.requirement.to_string(), t.origin.to_string()),
                    Location{u.origin.file, u.origin.line, 0},
                    "drop or relax your constraint; the target's constraints pin what MWAA installs");
                return e;
            }
        }
    }
    struct Line {
        std::string name;
        int group;  // user first, then target, for the same name
        std::size_t index;
        std::string text;
    };
    std::vector<Line> lines;
    auto add = [&](const std::vector<reqfile::Entry>& entries, int group) {
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& e = entries[i];
            std::string text = e.requirement.to_string();
            std::vector<std::string> hashes;
            for (const auto& [algo, digests] : e.hashes)
                for (const auto& d : digests) hashes.push_back(algo + ":" + d);
            append_hashes(text, hashes);
            lines.push_back({e.requirement.canonical_name(), group, i, std::move(text)});
        }
    };
    add(user, 0);
    add(target, 1);
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
        if (a.name != b.name) return a.name < b.name;
        if (a.group != b.group) return a.group < b.group;
        return a.index < b.index;
    });
    std::string out =
        header("constraints.txt (user constraints merged with the target's)", options.tool_version, options.target);
    std::vector<std::string> written;
    for (const auto& l : lines) {
        if (std::find(written.begin(), written.end(), l.text) != written.end()) continue;
        written.push_back(l.text);
        out += l.text + "\n";
    }
    return out;
}

}  // namespace wheelhouse::bundle
