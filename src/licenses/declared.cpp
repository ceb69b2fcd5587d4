// A package's declared licence from its core metadata: License-Expression, else classifiers, else the field.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "wheelhouse/licenses/licenses.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::licenses {
namespace {

constexpr std::string_view k_license_prefix = "License ::";

// Trove licence classifiers that name one licence and one version (PEP 639, appendix "Mapping License Classifiers
// to SPDX Identifiers": every single classifier maps to one id except those it lists as ambiguous; its special
// cases map Other/Proprietary to LicenseRef-Proprietary and Public Domain to LicenseRef-Public-Domain). Names as in
// pypa/trove-classifiers (with the retired Intel, SISSL and X.Net ones that old metadata still carries).
// Classifiers not listed here (the ambiguous ones among them) are not mapped.
constexpr std::array<std::pair<std::string_view, std::string_view>, 57> k_classifiers = {{
    {"License :: Aladdin Free Public License (AFPL)", "Aladdin"},
    {"License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"},
    {"License :: CeCILL-B Free Software License Agreement (CECILL-B)", "CECILL-B"},
    {"License :: CeCILL-C Free Software License Agreement (CECILL-C)", "CECILL-C"},
    {"License :: Nokia Open Source License (NOKOS)", "Nokia"},
    {"License :: Other/Proprietary License", "LicenseRef-Proprietary"},
    {"License :: Public Domain", "LicenseRef-Public-Domain"},
    {"License :: OSI Approved :: Attribution Assurance License", "AAL"},
    {"License :: OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)", "BlueOak-1.0.0"},
    {"License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"},
    {"License :: OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)", "CECILL-2.1"},
    {"License :: OSI Approved :: CMU License (MIT-CMU)", "MIT-CMU"},
    {"License :: OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)", "CDDL-1.0"},
    {"License :: OSI Approved :: Common Public License", "CPL-1.0"},
    {"License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"},
    {"License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"},
    {"License :: OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)", "ECL-2.0"},
    {"License :: OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)", "EUPL-1.0"},
    {"License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)", "EUPL-1.1"},
    {"License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"},
    {"License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later"},
    {"License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later"},
    {"License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"},
    {"License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)", "LGPL-3.0-or-later"},
    {"License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)", "HPND"},
    {"License :: OSI Approved :: IBM Public License", "IPL-1.0"},
    {"License :: OSI Approved :: ISC License (ISCL)", "ISC"},
    {"License :: OSI Approved :: Intel Open Source License", "Intel"},
    {"License :: OSI Approved :: MIT License", "MIT"},
    {"License :: OSI Approved :: MIT No Attribution License (MIT-0)", "MIT-0"},
    {"License :: OSI Approved :: MirOS License (MirOS)", "MirOS"},
    {"License :: OSI Approved :: Motosoto License", "Motosoto"},
    {"License :: OSI Approved :: Mozilla Public License 1.0 (MPL)", "MPL-1.0"},
    {"License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"},
    {"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
    {"License :: OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)", "MulanPSL-2.0"},
    {"License :: OSI Approved :: Nethack General Public License", "NGPL"},
    {"License :: OSI Approved :: Nokia Open Source License", "Nokia"},
    {"License :: OSI Approved :: Open Group Test Suite License", "OGTSL"},
    {"License :: OSI Approved :: Open Software License 3.0 (OSL-3.0)", "OSL-3.0"},
    {"License :: OSI Approved :: PostgreSQL License", "PostgreSQL"},
    {"License :: OSI Approved :: Python License (CNRI Python License)", "CNRI-Python"},
    {"License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"},
    {"License :: OSI Approved :: Ricoh Source Code Public License", "RSCPL"},
    {"License :: OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)", "OFL-1.1"},
    {"License :: OSI Approved :: Sleepycat License", "Sleepycat"},
    {"License :: OSI Approved :: Sun Industry Standards Source License (SISSL)", "SISSL"},
    {"License :: OSI Approved :: Sun Public License", "SPL-1.0"},
    {"License :: OSI Approved :: The Unlicense (Unlicense)", "Unlicense"},
    {"License :: OSI Approved :: Universal Permissive License (UPL)", "UPL-1.0"},
    {"License :: OSI Approved :: University of Illinois/NCSA Open Source License", "NCSA"},
    {"License :: OSI Approved :: Vovida Software License 1.0", "VSL-1.0"},
    {"License :: OSI Approved :: W3C License", "W3C"},
    {"License :: OSI Approved :: X.Net License", "Xnet"},
    {"License :: OSI Approved :: zlib/libpng License", "Zlib"},
    {"License :: OSI Approved :: NASA Open Source Agreement v1.3 (NASA-1.3)", "NASA-1.3"},
    {"License :: OSI Approved :: Zero-Clause BSD (0BSD)", "0BSD"},
}};

// License field spellings that name one licence and one version exactly, seen in real METADATA files, beside
// the SPDX ids and full names themselves (which need no entry). Compared after lower-casing, collapsing blanks and
// dropping a final '.'. Spellings without a version ("BSD", "GPL", "Apache", "PSF") are deliberately absent.
constexpr std::array<std::pair<std::string_view, std::string_view>, 45> k_field_aliases = {{
    {"apache 2.0", "Apache-2.0"},
    {"apache 2", "Apache-2.0"},
    {"apache-2", "Apache-2.0"},
    {"apache license 2", "Apache-2.0"},
    {"apache license, version 2.0", "Apache-2.0"},
    {"apache license version 2.0", "Apache-2.0"},
    {"apache license, 2.0", "Apache-2.0"},
    {"apache license (2.0)", "Apache-2.0"},
    {"apache software license 2.0", "Apache-2.0"},
    {"apache software license, version 2.0", "Apache-2.0"},
    {"apache software license version 2.0", "Apache-2.0"},
    {"the apache software license, version 2.0", "Apache-2.0"},
    {"asl 2.0", "Apache-2.0"},
    {"mit license", "MIT"},
    {"the mit license", "MIT"},
    {"mit license (mit)", "MIT"},
    {"the mit license (mit)", "MIT"},
    {"expat", "MIT"},
    {"expat license", "MIT"},
    {"bsd 3-clause", "BSD-3-Clause"},
    {"bsd 3-clause license", "BSD-3-Clause"},
    {"3-clause bsd", "BSD-3-Clause"},
    {"3-clause bsd license", "BSD-3-Clause"},
    {"bsd-3", "BSD-3-Clause"},
    {"new bsd", "BSD-3-Clause"},
    {"new bsd license", "BSD-3-Clause"},
    {"modified bsd license", "BSD-3-Clause"},
    {"revised bsd license", "BSD-3-Clause"},
    {"bsd 2-clause", "BSD-2-Clause"},
    {"bsd 2-clause license", "BSD-2-Clause"},
    {"2-clause bsd", "BSD-2-Clause"},
    {"2-clause bsd license", "BSD-2-Clause"},
    {"simplified bsd", "BSD-2-Clause"},
    {"simplified bsd license", "BSD-2-Clause"},
    {"mpl 2.0", "MPL-2.0"},
    {"mpl-2", "MPL-2.0"},
    {"mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"},
    {"isc license (iscl)", "ISC"},
    {"python software foundation license", "PSF-2.0"},
    {"psf-2", "PSF-2.0"},
    {"gplv2+", "GPL-2.0-or-later"},
    {"gplv3+", "GPL-3.0-or-later"},
    {"lgplv3+", "LGPL-3.0-or-later"},
    {"agplv3+", "AGPL-3.0-or-later"},
    {"zpl 2.1", "ZPL-2.1"},
}};

auto normalise_text(std::string_view text) -> std::string {
    std::string out;
    bool blank = false;
    for (char c : util::trim(text)) {
        if (util::is_ascii_space(c)) {
            blank = true;
            continue;
        }
        if (blank && !out.empty()) out += ' ';
        blank = false;
        out += util::to_lower_ascii(c);
    }
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

auto is_absent(std::string_view value) -> bool {
    auto norm = normalise_text(value);
    return norm.empty() || norm == "unknown" || norm == "none" || norm == "n/a";
}

// The text shown for a licence known only by its field: the first non-blank line (a whole licence text in the
// field is common), cut to a readable length.
auto field_name(std::string_view field) -> std::string {
    for (auto line : util::split(field, '\n')) {
        auto trimmed = util::trim(line);
        if (!trimmed.empty()) return util::elide(trimmed, 200);
    }
    return {};
}

auto classifier_tail(std::string_view classifier) -> std::string {
    auto at = classifier.rfind("::");
    return std::string(util::trim(at == std::string_view::npos ? classifier : classifier.substr(at + 2)));
}

}  // namespace

auto classifier_spdx(std::string_view classifier) -> std::optional<std::string> {
    auto text = util::trim(classifier);
    for (const auto& [name, id] : k_classifiers) {
        if (name == text) return std::string(id);
    }
    return std::nullopt;
}

auto field_spdx(std::string_view field) -> std::optional<Expression> {
    auto text = util::trim(field);
    if (text.empty() || text.find('\n') != std::string_view::npos) return std::nullopt;
    // An SPDX expression or id as it stands ("MIT", "Apache-2.0 OR MIT").
    if (auto parsed = Expression::parse(text)) return std::move(*parsed);
    const auto norm = normalise_text(text);
    for (const auto& [alias, id] : k_field_aliases) {
        if (alias == norm) return Expression::parse(id).value();
    }
    // The full name of exactly one list entry ("Apache License 2.0", "MIT License").
    const LicenseInfo* found = nullptr;
    for (const auto& info : spdx_licenses()) {
        if (normalise_text(info.name) != norm) continue;
        if (found != nullptr && !info.deprecated && !found->deprecated) return std::nullopt;  // two names alike
        if (found == nullptr || found->deprecated) found = nullptr;
        if (found == nullptr) found = find_license(info.id);
    }
    if (found != nullptr) return Expression::parse(found->id).value();
    return std::nullopt;
}

auto declared(const MetadataFields& fields) -> Declared {
    Declared out;
    // 1. License-Expression (core metadata 2.4).
    if (fields.license_expression && !util::trim(*fields.license_expression).empty()) {
        auto parsed = Expression::parse(util::trim(*fields.license_expression));
        if (parsed) {
            out.source = Source::expression;
            out.expression = std::move(*parsed);
            return out;
        }
        out.notes.push_back(
            fmt::format("License-Expression is not a valid SPDX expression: {}", parsed.error().message));
    }
    // 2. Trove classifiers: one licence, named exactly.
    std::vector<std::string> license_classifiers;
    for (const auto& c : fields.classifiers) {
        auto text = std::string(util::trim(c));
        if (!text.starts_with(k_license_prefix)) continue;
        // "License :: OSI Approved" alone only says that some approved licence applies.
        if (text == "License :: OSI Approved") continue;
        if (std::find(license_classifiers.begin(), license_classifiers.end(), text) == license_classifiers.end())
            license_classifiers.push_back(text);
    }
    std::vector<std::string> mapped;
    bool ambiguous = false;
    for (const auto& c : license_classifiers) {
        if (auto id = classifier_spdx(c)) {
            if (std::find(mapped.begin(), mapped.end(), *id) == mapped.end()) mapped.push_back(*id);
        } else {
            ambiguous = true;
            out.notes.push_back(fmt::format("classifier '{}' does not name one licence and version", c));
        }
    }
    if (!ambiguous && mapped.size() == 1) {
        out.source = Source::classifier;
        out.expression = Expression::parse(mapped.front()).value();
        return out;
    }
    if (mapped.size() > 1) {
        out.notes.emplace_back("several licence classifiers: whether all apply or one may be chosen is not said");
    }
    // 3. The License field, where it names one licence exactly.
    if (fields.license && !is_absent(*fields.license)) {
        if (auto expression = field_spdx(*fields.license)) {
            out.source = Source::field;
            out.expression = std::move(*expression);
            return out;
        }
        out.source = Source::field;
        out.name = field_name(*fields.license);
        return out;
    }
    // 4. Kept as the classifiers' names, else unknown.
    if (!license_classifiers.empty()) {
        std::vector<std::string> names;
        for (const auto& c : license_classifiers) names.push_back(classifier_tail(c));
        out.source = Source::classifier;
        out.name = util::join(names, "; ");
        return out;
    }
    return out;
}

auto declared(const metadata::Metadata& metadata) -> Declared {
    MetadataFields fields;
    fields.license_expression = metadata.license_expression;
    fields.license = metadata.license;
    fields.classifiers = metadata.classifiers;
    return declared(fields);
}

}  // namespace wheelhouse::licenses
