// Known vulnerabilities, offline: OSV records (YAML as the PyPA advisory database keeps them, or JSON) from a folder
// or an OSV export zip (all.zip), and the matching of a PyPI package version against them (listed versions, or
// ECOSYSTEM ranges in PEP 440 order).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::advisories {

struct Event {
    enum class Kind { introduced, fixed, last_affected, limit };
    Kind kind = Kind::introduced;
    std::string version;  // as written; "0" for introduced means "from the first version"
};

struct Range {
    std::string type;  // "ECOSYSTEM", "SEMVER", "GIT", ...
    std::vector<Event> events;
    // ECOSYSTEM ranges whose versions all parse: the events sorted in PEP 440 order ("0" lowest), with their
    // parsed versions. Empty (and `usable` false) for other types or when a version is not PEP 440.
    std::vector<std::pair<Event, std::optional<pep440::Version>>> sorted;
    bool usable = false;
};

struct Affected {
    std::string ecosystem;  // "PyPI"
    std::string name;       // as written
    std::string canonical;  // PEP 503 normalised
    std::vector<Range> ranges;
    std::vector<std::string> versions;
    std::vector<std::optional<pep440::Version>> parsed_versions;  // versions[i] as PEP 440, when it is
};

struct Severity {
    std::string type;   // "CVSS_V3"
    std::string score;  // the vector, e.g. "CVSS:3.1/AV:N/..."
};

struct Advisory {
    std::string id;
    std::vector<std::string> aliases;  // CVE-..., GHSA-...
    std::vector<std::string> related;
    std::string summary;  // the summary, else the first sentence of the details (shortened)
    std::optional<std::string> withdrawn;
    std::string modified;
    std::string published;
    std::vector<Severity> severity;
    std::vector<Affected> affected;
    std::optional<std::string> advisory_url;  // the first ADVISORY reference, else the first WEB one
    std::string file;                         // where it was read from ("vulns/x/ID.yaml", "all.zip:ID.json")
};

// Parses one OSV record. YAML is read with every scalar as a string (so 1.10 stays "1.10" and bare timestamps
// stay text); JSON is the OSV schema's own form. Errors (invalid_input) name `file` and, for YAML syntax, the line
// and column; for a field of the wrong shape, its path ("affected[0].ranges[1].events[2]"). `warnings` gets what
// is skipped but not fatal: a range type wheelhouse does not evaluate (only ECOSYSTEM is; GIT ranges are ignored
// quietly), an ECOSYSTEM event version that is not PEP 440 (that range is then not used; listed versions still
// match).
auto parse_osv(std::string_view text, std::string_view file, std::vector<std::string>* warnings = nullptr)
    -> Expected<Advisory>;

// YAML text as JSON with every scalar a string; a syntax error names file:line:col. For tests and the parser.
auto yaml_to_json(std::string_view text, std::string_view file) -> Expected<nlohmann::json>;

// One advisory that affects a package version.
struct Finding {
    const Advisory* advisory = nullptr;
    std::string matched_by;          // "versions" (listed) or "range"
    std::vector<std::string> fixed;  // every fixed version of the matching ranges, in PEP 440 order
};

// True when `version` is listed (the same string, or the same PEP 440 version) or lies in a usable ECOSYSTEM range
// (introduced inclusive, fixed exclusive, last_affected inclusive, below a limit when there is one).
auto affects(const Affected& affected, std::string_view version, std::string* matched_by = nullptr) -> bool;

class Database {
public:
    // A folder (searched recursively for *.yaml, *.yml, *.json) or a zip file (an OSV export such as PyPI's
    // all.zip: <ID>.json members). A record that cannot be read is an error naming it.
    static auto load(const std::filesystem::path& path) -> Expected<Database>;
    static auto from(std::vector<Advisory> advisories) -> Database;

    [[nodiscard]] auto advisories() const -> const std::vector<Advisory>& { return m_advisories; }
    [[nodiscard]] auto warnings() const -> const std::vector<std::string>& { return m_warnings; }
    [[nodiscard]] auto withdrawn() const -> std::size_t;

    // The advisories (not withdrawn) for a PyPI package `name` (any spelling) at `version`, sorted by id.
    [[nodiscard]] auto match(std::string_view name, std::string_view version) const -> std::vector<Finding>;

private:
    std::vector<Advisory> m_advisories;
    std::vector<std::string> m_warnings;
};

}  // namespace wheelhouse::advisories
