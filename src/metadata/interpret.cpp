// Interpretation of the text fields through pep440/pep508. Kept apart from the header parser so
// that a program which only reads headers does not pull in the requirement grammar.
#include <fmt/format.h>

#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::metadata {
namespace {

auto line_of(const Metadata& md, std::string_view field) -> int {
    for (const auto& h : md.headers) {
        if (util::iequals(h.name, field)) return h.line;
    }
    return 0;
}

// Keeps the inner error's message and column, and adds where the field sits in the file.
auto wrap(Error inner, const Metadata& md, int line, std::string_view what, std::string_view text)
    -> Unexpected<Error> {
    Error e = std::move(inner);
    e.message = fmt::format("invalid {}: {}", what, e.message);
    e.context = std::string(text);
    e.location = Location{md.file, line, e.location.column};
    return unexpected(std::move(e));
}

}  // namespace

auto Metadata::requires_dist() const -> Expected<std::vector<pep508::Requirement>> {
    std::vector<pep508::Requirement> out;
    out.reserve(requires_dist_raw.size());
    for (const auto& entry : requires_dist_raw) {
        auto req = pep508::Requirement::parse(entry.value);
        if (!req) return wrap(std::move(req).error(), *this, entry.line, "Requires-Dist", entry.value);
        out.push_back(std::move(req).value());
    }
    return out;
}

auto Metadata::parsed_version() const -> Expected<pep440::Version> {
    auto v = pep440::Version::parse(version);
    if (!v) return wrap(std::move(v).error(), *this, line_of(*this, "version"), "Version", version);
    return v;
}

auto Metadata::requires_python_specifier() const -> Expected<pep440::SpecifierSet> {
    if (!requires_python) return pep440::SpecifierSet{};
    auto s = pep440::SpecifierSet::parse(*requires_python);
    if (!s)
        return wrap(std::move(s).error(), *this, line_of(*this, "requires-python"), "Requires-Python",
                    *requires_python);
    return s;
}

}  // namespace wheelhouse::metadata
