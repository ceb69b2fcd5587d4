// OSV records (ossf.github.io/osv-schema) read into Advisory, and the matching of a version against them.
#include <fmt/format.h>

#include <algorithm>

#include "wheelhouse/advisories/advisories.hpp"
#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::advisories {
namespace {

using nlohmann::json;

auto bad(std::string_view file, const std::string& path, const std::string& what) -> Unexpected<Error> {
    auto e = make_error(ErrorCode::invalid_input, fmt::format("not an OSV advisory: {}: {}", path, what),
                        Location{std::string(file)},
                        "fix or remove the record; the format is ossf.github.io/osv-schema (the PyPA advisory "
                        "database's YAML, or osv.dev's JSON)");
    return e;
}

// An optional string field; a present one of another type is an error.
auto string_field(const json& object, const char* key, std::string_view file, const std::string& path,
                  bool required = false) -> Expected<std::optional<std::string>> {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        if (required) return bad(file, path, fmt::format("'{}' is missing", key));
        return std::optional<std::string>{};
    }
    if (!it->is_string()) return bad(file, path + "." + key, "must be a string");
    return std::optional<std::string>{it->get<std::string>()};
}

auto string_list(const json& object, const char* key, std::string_view file, const std::string& path)
    -> Expected<std::vector<std::string>> {
    std::vector<std::string> out;
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return out;
    if (!it->is_array()) return bad(file, path + "." + key, "must be a list of strings");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& v = (*it)[i];
        if (!v.is_string()) return bad(file, fmt::format("{}.{}[{}]", path, key, i), "must be a string");
        out.push_back(v.get<std::string>());
    }
    return out;
}

auto first_sentence(std::string_view details) -> std::string {
    auto text = util::trim(details);
    auto end = text.find_first_of("\n");
    if (auto dot = text.find(". "); dot != std::string_view::npos && dot < end) end = dot + 1;
    return util::elide(util::trim(text.substr(0, end)), 200);
}

auto parse_range(const json& j, std::string_view file, const std::string& path, const std::string& id,
                 std::vector<std::string>* warnings) -> Expected<Range> {
    if (!j.is_object()) return bad(file, path, "must be a mapping");
    Range range;
    auto type = string_field(j, "type", file, path, true);
    if (!type) return unexpected(std::move(type).error());
    range.type = **type;
    auto events = j.find("events");
    if (events == j.end() || !events->is_array()) return bad(file, path + ".events", "must be a list");
    for (std::size_t i = 0; i < events->size(); ++i) {
        const auto& ej = (*events)[i];
        const auto epath = fmt::format("{}.events[{}]", path, i);
        if (!ej.is_object() || ej.size() != 1) {
            return bad(file, epath, "must be a mapping with one of introduced, fixed, last_affected, limit");
        }
        // iterators of the object itself: a structured binding over items() would bind to a proxy
        // that dies at the end of this statement
        const auto first = ej.begin();
        const std::string& key = first.key();
        const json& value = first.value();
        Event event;
        if (key == "introduced") {
            event.kind = Event::Kind::introduced;
        } else if (key == "fixed") {
            event.kind = Event::Kind::fixed;
        } else if (key == "last_affected") {
            event.kind = Event::Kind::last_affected;
        } else if (key == "limit") {
            event.kind = Event::Kind::limit;
        } else {
            return bad(file, epath, fmt::format("unknown event '{}'", util::elide(key, 50)));
        }
        if (!value.is_string()) return bad(file, epath + "." + key, "must be a string");
        event.version = value.get<std::string>();
        range.events.push_back(std::move(event));
    }
    if (range.type == "GIT") return range;  // commit hashes: nothing to compare a release with
    if (range.type != "ECOSYSTEM") {
        if (warnings != nullptr) {
            warnings->push_back(
                fmt::format("{}: {}: {}: range type '{}' is not evaluated (only ECOSYSTEM ranges "
                            "are, in PEP 440 order); the listed versions still match",
                            file, id, path, util::elide(range.type, 50)));
        }
        return range;
    }
    for (const auto& e : range.events) {
        if (e.kind == Event::Kind::introduced && e.version == "0") {
            range.sorted.emplace_back(e, std::nullopt);
            continue;
        }
        auto v = pep440::Version::parse(e.version);
        if (!v) {
            if (warnings != nullptr) {
                warnings->push_back(
                    fmt::format("{}: {}: {}: '{}' is not a PEP 440 version; this range is not used "
                                "(the listed versions still match)",
                                file, id, path, util::elide(e.version, 50)));
            }
            range.sorted.clear();
            return range;
        }
        range.sorted.emplace_back(e, std::move(*v));
    }
    // Sort by version, "0" first; equal versions keep their order (stable).
    std::stable_sort(range.sorted.begin(), range.sorted.end(), [](const auto& a, const auto& b) {
        if (!a.second) return b.second.has_value();
        if (!b.second) return false;
        return *a.second < *b.second;
    });
    range.usable = true;
    return range;
}

}  // namespace

auto parse_osv(std::string_view text, std::string_view file, std::vector<std::string>* warnings) -> Expected<Advisory> {
    json doc;
    auto first = util::trim_left(text);
    if (!first.empty() && (first.front() == '{' || first.front() == '[')) {
        doc = json::parse(text, nullptr, false);
        if (doc.is_discarded()) {
            // nlohmann says where, through its exception text; parse again to get it.
            std::string where;
            try {
                auto again = json::parse(text);
                (void)again;
            } catch (const json::parse_error& e) {
                where = e.what();
            }
            return make_error(ErrorCode::invalid_input, "not valid JSON: " + util::elide(where, 300),
                              Location{std::string(file)}, "fix or remove the record");
        }
    } else {
        auto converted = yaml_to_json(text, file);
        if (!converted) return unexpected(std::move(converted).error());
        doc = std::move(*converted);
    }
    if (!doc.is_object()) return bad(file, "the record", "must be a mapping");
    Advisory a;
    a.file = std::string(file);
    auto id = string_field(doc, "id", file, "the record", true);
    if (!id) return unexpected(std::move(id).error());
    a.id = **id;
    if (a.id.empty()) return bad(file, "id", "is empty");
    auto aliases = string_list(doc, "aliases", file, "the record");
    if (!aliases) return unexpected(std::move(aliases).error());
    a.aliases = std::move(*aliases);
    auto related = string_list(doc, "related", file, "the record");
    if (!related) return unexpected(std::move(related).error());
    a.related = std::move(*related);
    for (const auto& [key, target] : {std::pair{"modified", &a.modified}, std::pair{"published", &a.published}}) {
        auto value = string_field(doc, key, file, "the record");
        if (!value) return unexpected(std::move(value).error());
        *target = value->value_or("");
    }
    auto withdrawn = string_field(doc, "withdrawn", file, "the record");
    if (!withdrawn) return unexpected(std::move(withdrawn).error());
    a.withdrawn = *withdrawn;
    auto summary = string_field(doc, "summary", file, "the record");
    auto details = string_field(doc, "details", file, "the record");
    if (!summary) return unexpected(std::move(summary).error());
    if (!details) return unexpected(std::move(details).error());
    a.summary = *summary ? util::elide(util::trim(**summary), 200) : (*details ? first_sentence(**details) : "");
    if (auto it = doc.find("severity"); it != doc.end() && !it->is_null()) {
        if (!it->is_array()) return bad(file, "severity", "must be a list");
        for (std::size_t i = 0; i < it->size(); ++i) {
            const auto path = fmt::format("severity[{}]", i);
            if (!(*it)[i].is_object()) return bad(file, path, "must be a mapping");
            auto type = string_field((*it)[i], "type", file, path, true);
            auto score = string_field((*it)[i], "score", file, path, true);
            if (!type) return unexpected(std::move(type).error());
            if (!score) return unexpected(std::move(score).error());
            a.severity.push_back({**type, **score});
        }
    }
    if (auto it = doc.find("references"); it != doc.end() && it->is_array()) {
        for (const auto& kind : {"ADVISORY", "WEB"}) {
            for (const auto& r : *it) {
                if (a.advisory_url) break;
                if (r.is_object() && r.value("type", json()) == kind && r.contains("url") && r["url"].is_string())
                    a.advisory_url = r["url"].get<std::string>();
            }
        }
    }
    auto affected = doc.find("affected");
    if (affected != doc.end() && !affected->is_null()) {
        if (!affected->is_array()) return bad(file, "affected", "must be a list");
        for (std::size_t i = 0; i < affected->size(); ++i) {
            const auto& aj = (*affected)[i];
            const auto path = fmt::format("affected[{}]", i);
            if (!aj.is_object()) return bad(file, path, "must be a mapping");
            Affected entry;
            if (auto pkg = aj.find("package"); pkg != aj.end() && !pkg->is_null()) {
                if (!pkg->is_object()) return bad(file, path + ".package", "must be a mapping");
                auto name = string_field(*pkg, "name", file, path + ".package", true);
                auto ecosystem = string_field(*pkg, "ecosystem", file, path + ".package", true);
                if (!name) return unexpected(std::move(name).error());
                if (!ecosystem) return unexpected(std::move(ecosystem).error());
                entry.name = **name;
                entry.ecosystem = **ecosystem;
                entry.canonical = pep508::canonicalize_name(entry.name);
            }
            auto versions = string_list(aj, "versions", file, path);
            if (!versions) return unexpected(std::move(versions).error());
            entry.versions = std::move(*versions);
            for (const auto& v : entry.versions) {
                auto parsed = pep440::Version::parse(v);
                entry.parsed_versions.push_back(parsed ? std::optional(std::move(*parsed)) : std::nullopt);
            }
            if (auto ranges = aj.find("ranges"); ranges != aj.end() && !ranges->is_null()) {
                if (!ranges->is_array()) return bad(file, path + ".ranges", "must be a list");
                for (std::size_t r = 0; r < ranges->size(); ++r) {
                    auto range = parse_range((*ranges)[r], file, fmt::format("{}.ranges[{}]", path, r), a.id,
                                             entry.ecosystem == "PyPI" ? warnings : nullptr);
                    if (!range) return unexpected(std::move(range).error());
                    entry.ranges.push_back(std::move(*range));
                }
            }
            a.affected.push_back(std::move(entry));
        }
    }
    return a;
}

auto affects(const Affected& affected, std::string_view version, std::string* matched_by) -> bool {
    auto parsed = pep440::Version::parse(version);
    for (std::size_t i = 0; i < affected.versions.size(); ++i) {
        bool same = affected.versions[i] == version;
        if (!same && parsed) {
            if (i < affected.parsed_versions.size()) {
                same = affected.parsed_versions[i] && *affected.parsed_versions[i] == *parsed;
            } else {
                auto other = pep440::Version::parse(affected.versions[i]);
                same = other && *other == *parsed;
            }
        }
        if (same) {
            if (matched_by != nullptr) *matched_by = "versions";
            return true;
        }
    }
    if (!parsed) return false;  // a legacy string matches only when listed
    for (const auto& range : affected.ranges) {
        if (!range.usable) continue;
        // The OSV evaluation: walk the sorted events, switching on at an introduced version at or below the
        // version and off at a fix at or below it (or a last_affected below it).
        bool inside = false;
        std::vector<const pep440::Version*> limits;
        for (const auto& [event, v] : range.sorted) {
            switch (event.kind) {
                case Event::Kind::introduced:
                    if (!v || *parsed >= *v) inside = true;
                    break;
                case Event::Kind::fixed:
                    if (v && *parsed >= *v) inside = false;
                    break;
                case Event::Kind::last_affected:
                    if (v && *parsed > *v) inside = false;
                    break;
                case Event::Kind::limit:
                    if (v) limits.push_back(&*v);
                    break;
            }
        }
        if (inside && !limits.empty()) {
            inside = std::any_of(limits.begin(), limits.end(), [&](const pep440::Version* l) { return *parsed < *l; });
        }
        if (inside) {
            if (matched_by != nullptr) *matched_by = "range";
            return true;
        }
    }
    return false;
}

auto Database::from(std::vector<Advisory> advisories) -> Database {
    Database db;
    db.m_advisories = std::move(advisories);
    std::sort(db.m_advisories.begin(), db.m_advisories.end(),
              [](const Advisory& a, const Advisory& b) { return a.id < b.id; });
    return db;
}

auto Database::withdrawn() const -> std::size_t {
    return static_cast<std::size_t>(
        std::count_if(m_advisories.begin(), m_advisories.end(), [](const Advisory& a) { return a.withdrawn; }));
}

auto Database::match(std::string_view name, std::string_view version) const -> std::vector<Finding> {
    const auto canonical = pep508::canonicalize_name(name);
    std::vector<Finding> out;
    for (const auto& advisory : m_advisories) {
        if (advisory.withdrawn) continue;
        for (const auto& affected : advisory.affected) {
            if (affected.ecosystem != "PyPI" || affected.canonical != canonical) continue;
            std::string how;
            if (!affects(affected, version, &how)) continue;
            Finding finding{&advisory, how, {}};
            std::vector<std::pair<pep440::Version, std::string>> fixes;
            for (const auto& range : affected.ranges) {
                for (const auto& [event, v] : range.sorted) {
                    if (event.kind == Event::Kind::fixed && v) fixes.emplace_back(*v, event.version);
                }
            }
            std::sort(fixes.begin(), fixes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (auto& [v, text] : fixes) {
                if (std::find(finding.fixed.begin(), finding.fixed.end(), text) == finding.fixed.end())
                    finding.fixed.push_back(text);
            }
            out.push_back(std::move(finding));
            break;  // one finding per advisory
        }
    }
    return out;
}

}  // namespace wheelhouse::advisories
