// PEP 508 environment markers: parse, print, and evaluate against a target environment.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::pep508 {

// Marker variables by name: "python_version", "sys_platform", "platform_machine", ... (PEP 508),
// as a target environment defines them. "extra" is supplied separately at evaluation time.
using Environment = std::map<std::string, std::string, std::less<>>;

class Marker {
public:
    // Parses a marker expression such as `python_version >= "3.8" and extra == "s3"`.
    // Error columns are 1-based offsets into `text`.
    static auto parse(std::string_view text) -> Expected<Marker>;

    // Canonical text as packaging prints it (e.g. `python_version >= "3.8" and extra == "s3"`).
    [[nodiscard]] auto to_string() const -> std::string;

    // Evaluates with `extra` taken from `extras` (a requirement is active when any one requested
    // extra makes it true; with no extras, extra == "" as pip does). Extras compare normalised.
    // Returns an error only for a marker that cannot be evaluated (an undefined variable).
    [[nodiscard]] auto evaluate(const Environment& env, const std::set<std::string>& extras = {}) const
        -> Expected<bool>;

    // Lock-file evaluation (PEP 751): the set-valued variables `extras` and `dependency_groups` are
    // defined (compared normalised) and `extra` is not, unless `env` defines it.
    [[nodiscard]] auto evaluate_lock_file(const Environment& env, const std::set<std::string>& extras,
                                          const std::set<std::string>& dependency_groups) const -> Expected<bool>;

    // The extras the marker mentions (normalised), for the resolver.
    [[nodiscard]] auto mentioned_extras() const -> std::set<std::string>;

    // Markers are equal when their canonical texts are (as packaging compares them).
    friend auto operator==(const Marker& a, const Marker& b) -> bool { return a.to_string() == b.to_string(); }

    struct Node;  // expression tree, defined in the implementation

    Marker() = default;
    explicit Marker(std::shared_ptr<const Node> root) : m_root(std::move(root)) {}
    [[nodiscard]] auto root() const -> const std::shared_ptr<const Node>& { return m_root; }

private:
    std::shared_ptr<const Node> m_root;
};

// A CPython on Linux x86_64 target (the MWAA workers), e.g. linux_cpython_environment("3.11.9"):
// python_version "3.11", implementation_version = python_full_version, platform_release and
// platform_version empty (they depend on the host kernel, which a bundle cannot know).
auto linux_cpython_environment(std::string_view python_full_version) -> Environment;

}  // namespace wheelhouse::pep508
