// Licences: the SPDX licence list built in, SPDX expressions, and a package's declared licence read from its core
// metadata (License-Expression, else trove classifiers, else the License field where it is unambiguous), plus
// allow/deny policies over them. Never guesses: what cannot be mapped exactly stays a name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::licenses {

// ---- the SPDX list ---------------------------------------------------------------------------

struct LicenseInfo {
    std::string_view id;  // canonical case, e.g. "Apache-2.0"
    std::string_view name;
    bool deprecated = false;
    bool osi_approved = false;
};

// "3.27.0": the SPDX License List version built in.
auto spdx_list_version() -> std::string_view;
auto spdx_licenses() -> std::vector<LicenseInfo>;
auto spdx_exceptions() -> std::vector<LicenseInfo>;
// Case-insensitive lookups (SPDX ids match without regard to case); nullptr when unknown.
auto find_license(std::string_view id) -> const LicenseInfo*;
auto find_exception(std::string_view id) -> const LicenseInfo*;

// ---- SPDX license expressions (SPDX spec annex D) --------------------------------------------

// One term: a licence id (optionally "+", or-later), or a LicenseRef-/DocumentRef-...:LicenseRef-, with an
// optional WITH exception.
struct Term {
    std::string license;  // canonical case for list ids; a LicenseRef as written
    bool or_later = false;
    std::optional<std::string> exception;  // canonical case
    bool is_ref = false;                   // LicenseRef-... (not in the SPDX list)

    [[nodiscard]] auto to_string() const -> std::string;
};

class Expression {
public:
    enum class Kind { term, all_of, any_of };  // a term, AND, OR

    // Operators in any case (canonicalised to upper case), ids matched without regard to case; precedence
    // WITH > AND > OR, parentheses group. Errors (invalid_input) say what is wrong and where (1-based column).
    static auto parse(std::string_view text) -> Expected<Expression>;

    [[nodiscard]] auto kind() const -> Kind { return m_kind; }
    [[nodiscard]] auto term() const -> const Term& { return m_term; }
    [[nodiscard]] auto operands() const -> const std::vector<Expression>& { return m_operands; }
    // Canonical form: list ids in their canonical case, upper-case operators, parentheses only where needed.
    [[nodiscard]] auto to_string() const -> std::string;
    // Every term, in order of appearance.
    [[nodiscard]] auto terms() const -> std::vector<Term>;

private:
    friend class ExpressionParser;
    Kind m_kind = Kind::term;
    Term m_term;
    std::vector<Expression> m_operands;
};

// ---- a package's declared licence ------------------------------------------------------------

// Where the licence came from: License-Expression, a trove classifier, the License field, or nothing usable.
enum class Source { expression, classifier, field, unknown };
auto to_string(Source source) -> const char*;

struct Declared {
    Source source = Source::unknown;
    std::optional<Expression> expression;  // an SPDX expression (from any source) when one is known exactly
    std::string name;                      // otherwise the text as the package states it (may be empty)
    std::vector<std::string> notes;        // why something was not mapped (ambiguous classifier, invalid expression)

    [[nodiscard]] auto spdx() const -> std::optional<std::string> {
        return expression ? std::optional(expression->to_string()) : std::nullopt;
    }
    // What a table shows: the SPDX expression, else the name, else "unknown".
    [[nodiscard]] auto display() const -> std::string;
};

// The license fields of one core metadata file.
struct MetadataFields {
    std::optional<std::string> license_expression;  // License-Expression (2.4)
    std::optional<std::string> license;             // License, as written (may span lines)
    std::vector<std::string> classifiers;           // every Classifier (non-licence ones are ignored)
};

// License-Expression when it is a valid SPDX expression; else the licence classifiers when they name exactly one
// licence unambiguously (PEP 639's mapping: "BSD License", "Apache Software License", the unversioned GPL and LGPL
// ones and several classifiers together are not mapped); else the License field when it is an SPDX expression, the
// full name of an SPDX licence, or one of a few spellings that name one licence and version exactly ("Apache 2.0");
// else the field's (or the classifiers') text as a name; else unknown ("UNKNOWN" counts as absent).
auto declared(const MetadataFields& fields) -> Declared;
// The same, from a parsed METADATA file.
auto declared(const metadata::Metadata& metadata) -> Declared;

// The SPDX id of a licence classifier when it maps to exactly one licence ("License :: OSI Approved :: MIT
// License" -> "MIT"); nullopt for ambiguous or unknown classifiers.
auto classifier_spdx(std::string_view classifier) -> std::optional<std::string>;
// The License field's text mapped to an SPDX expression when that is unambiguous; nullopt otherwise.
auto field_spdx(std::string_view field) -> std::optional<Expression>;

// ---- policies ----------------------------------------------------------------------------------

// --allow / --deny lists of SPDX ids (an exception-qualified "X WITH E" is allowed by "X WITH E" or by X).
// With an allow list, a package passes when one choice of its expression's ORs uses allowed ids only; a licence
// known only by name, or not at all, does not pass. With a deny list, a package fails when every choice uses a
// denied id. Both may be given.
struct Policy {
    std::vector<std::string> allow;  // canonical ids (parse_policy_ids checks them)
    std::vector<std::string> deny;
    [[nodiscard]] auto empty() const -> bool { return allow.empty() && deny.empty(); }
};

// "MIT,Apache-2.0": ids from the SPDX list (case-insensitive, canonicalised) or LicenseRef-...; an unknown id is
// an error (a typo would otherwise silently allow or deny nothing).
auto parse_policy_ids(std::string_view list, std::string_view option) -> Expected<std::vector<std::string>>;

// A policy file: the [tool.wheelhouse.licenses] table of a pyproject.toml-style file, with `allow = [...]` and
// `deny = [...]` arrays of strings (other tables and keys are ignored). Errors name the file and line.
auto parse_policy_file(std::string_view text, std::string_view file) -> Expected<Policy>;

struct Verdict {
    bool ok = true;
    std::string reason;  // why not: "GPL-3.0-only is denied", "not in the allow list: LGPL-2.1-only", ...
};
auto evaluate(const Policy& policy, const Declared& license) -> Verdict;

}  // namespace wheelhouse::licenses
