// The requirements.txt and constraints.txt that MWAA reads from the bundle: pinned, offline, deterministic.
#pragma once

#include <string>
#include <vector>

#include "wheelhouse/pep508/requirement.hpp"
#include "wheelhouse/reqfile/reqfile.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::bundle {

// One of the user's top-level requirements with the version the resolver chose for it.
struct ResolvedRequirement {
    pep508::Requirement requirement;  // as the user wrote it: name, extras and marker are kept
    std::string version;              // the resolved version, written as name==version; "" keeps the line as
                                      // written (a package the image has at an unknown version)
    std::vector<std::string> hashes;  // "sha256:<hex>" of the bundled wheel(s); optional
};

struct RewriteOptions {
    std::string tool_version;  // empty: this build's version
    std::string target;        // e.g. "mwaa-2.10.3"
    std::string find_links = "/usr/local/airflow/plugins";
    std::string constraints_path = "/usr/local/airflow/plugins/constraints.txt";
    // pip switches to hash-checking mode when any line has --hash, and then wants a hash for every
    // package it installs, dependencies included: only turn this on when `resolved` is the whole
    // closure, every entry with hashes (a partly hashed set is an error).
    bool write_hashes = false;
};

// The requirements file for MWAA: header comment, `--find-links DIR`, `--no-index`,
// `--constraint "PATH"` (with a space: MWAA only recognises `-c ` / `--constraint ` followed by a
// space, otherwise it adds its own constraints), then the pins sorted by normalised name, each
// optionally followed by `--hash` continuation lines. Same input, same bytes.
auto write_mwaa_requirements(const std::vector<ResolvedRequirement>& resolved, const RewriteOptions& options)
    -> Expected<std::string>;

struct MergeOptions {
    std::string tool_version;  // empty: this build's version
    std::string target;        // named in the header
};

// One constraints file from the user's constraints and the target's (Airflow) constraints. An
// exact pin on one side that the other side's specifier excludes (same name, same marker) is an
// error naming both origins (file:line). Output is sorted by normalised name, duplicates dropped.
auto merge_constraints(const std::vector<reqfile::Entry>& user, const std::vector<reqfile::Entry>& target,
                       const MergeOptions& options) -> Expected<std::string>;

}  // namespace wheelhouse::bundle
