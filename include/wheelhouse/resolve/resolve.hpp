// Dependency resolution for one install target: requirements + constraints -> the exact set of files pip would pick.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/tags/target.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::resolve {

// One distribution file as an index lists it (PEP 503 / 691 / 592 / 658 data, already parsed).
struct CandidateFile {
    std::string filename;
    std::string url;
    std::map<std::string, std::string> hashes;   // algorithm ("sha256") -> lower-case hex digest
    std::optional<std::string> requires_python;  // data-requires-python, as written
    bool yanked = false;
    std::string yanked_reason;
    std::optional<std::uint64_t> size;
};

// What the resolver needs from the outside world. `app` adapts the index + cache to it; tests use
// in-memory data. Calls come from one thread; implementations may fetch ahead in parallel.
class IndexProvider {
public:
    IndexProvider() = default;
    IndexProvider(const IndexProvider&) = delete;
    auto operator=(const IndexProvider&) -> IndexProvider& = delete;
    virtual ~IndexProvider() = default;

    // Every file of a project (canonical name). An unknown project is an empty list, not an error;
    // errors are for failures (network: the resolution stops with that error).
    virtual auto candidates(std::string_view project) -> Expected<std::vector<CandidateFile>> = 0;

    // The core metadata of one file (PEP 658 .metadata, or read from the wheel). Only called for
    // versions the resolver actually tries. An invalid_input error rejects that version; any other
    // error stops the resolution.
    virtual auto metadata(std::string_view project, const CandidateFile& file) -> Expected<metadata::Metadata> = 0;

    // A hint that these projects' candidates will be asked for soon (fetch them in parallel).
    virtual void prefetch(const std::vector<std::string>& projects) { (void)projects; }

    // Links of the project's pages that are not usable files ("filename: why"), for the message when a
    // project has no candidate at all.
    virtual auto skipped(std::string_view project) -> std::vector<std::string> {
        (void)project;
        return {};
    }
};

// Where a constraint comes from, so that a conflict message can say whose pin it is.
enum class ConstraintSource { user, airflow, mwaa_essential };
auto to_string(ConstraintSource source) -> const char*;

struct RootRequirement {
    pep508::Requirement requirement;
    std::string origin;  // e.g. "requirements.txt:3"; "" reads as "the request"
};

// pip's constraints: they restrict a project's versions only if something requires the project.
struct Constraint {
    pep508::Requirement requirement;  // name + specifier (+ marker); extras and URLs are refused
    std::string origin;               // e.g. "constraints.txt:14"
    ConstraintSource source = ConstraintSource::user;
};

struct Options {
    bool pre = false;                         // --pre: prereleases are candidates like any other version
    bool only_binary = true;                  // --only-binary=:all: (MWAA: sdists cannot be built offline)
    std::set<std::string> no_binary;          // canonical names whose wheels are refused (--no-binary)
    std::set<std::string> only_binary_names;  // canonical names whose sdists are refused
    bool prefer_binary = false;               // --prefer-binary: an older version with a wheel beats a newer sdist
    // Candidate versions tried before giving up (a safety net against pathological indexes).
    std::size_t max_attempts = 200000;
};

// A distribution the target environment already has (an MWAA image's packages). pip run without --upgrade keeps
// an installed version that satisfies every requirement and constraint on it (its "only if needed" strategy):
// that candidate comes first, and the index's file of the same version is never taken instead.
struct InstalledDistribution {
    std::string name;                       // canonical (PEP 503)
    std::optional<pep440::Version> version;  // nullopt: installed, version unknown (satisfies only a bare name)
};

struct Request {
    std::vector<RootRequirement> requirements;
    std::vector<Constraint> constraints;
    tags::Target target;
    Options options;
    // Its requirements are read from the index's metadata of the same version (none when the index lacks it).
    std::vector<InstalledDistribution> installed;
};

// One reason a package is in the set.
struct RequiredBy {
    std::string parent;       // "b 1.0.0", or "" for a top-level requirement
    std::string requirement;  // as the parent wrote it (normalised text), e.g. "a[s3]>=1.0"
    std::string origin;       // top-level: the requirement's origin; else the parent's chain
};

struct AppliedConstraint {
    std::string constraint;  // e.g. "a==1.5"
    std::string origin;
    ConstraintSource source = ConstraintSource::user;
};

struct ResolvedPackage {
    std::string name;  // canonical (PEP 503)
    pep440::Version version;
    CandidateFile file;  // the best-ranked compatible wheel (or sdist when allowed)
    bool is_wheel = true;
    // Kept from the environment (Request::installed): nothing to install. `file` is then the index's file of that
    // version when there is one (empty filename otherwise); `version_known` is false for an unknown version.
    bool installed = false;
    bool version_known = true;
    // Installed in the environment at another version, which installing this one replaces ("" if unknown).
    std::optional<std::string> replaces;
    std::vector<std::string> extras;  // extras activated, canonical and sorted
    std::vector<RequiredBy> required_by;
    std::vector<AppliedConstraint> constraints;
};

struct Resolution {
    std::vector<ResolvedPackage> packages;  // sorted by name
    // Things the user should know although the resolution succeeded, e.g. a newer version that
    // was passed over because it has only an sdist or no wheel for the target.
    std::vector<std::string> notes;
};

// Resolves the request. Failure: ErrorCode::resolution with a plain-words explanation (the chain
// of requirements and the versions that clash) as the message; provider errors are passed on.
// Two searches: first pip's own (resolvelib 1.0.1 as pip 24.2 drives it: its order of picking, its
// candidate lists, its backjumping), so that the answer is the set pip would install; where that one
// gives up, a complete depth-first search with conflict-directed backjumping, which finds an
// installable set if there is one (pip sometimes reports none) and explains the failure otherwise.
auto resolve(const Request& request, IndexProvider& provider) -> Expected<Resolution>;

// The hint given when a project has no wheel and only an sdist.
inline constexpr std::string_view sdist_hint =
    "build a wheel with `pip wheel` on Amazon Linux 2023 and add it with --find-links";

}  // namespace wheelhouse::resolve
