// The check that closes the loop between the metadata a resolution used and the wheel that was downloaded.
#include <fmt/format.h>

#include <algorithm>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/index/index.hpp"
#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::index {

namespace {

auto sorted_trimmed(std::vector<std::string> values) -> std::vector<std::string> {
    for (auto& v : values) v = std::string(util::trim(v));
    std::sort(values.begin(), values.end());
    return values;
}

auto requires_dist(const metadata::Metadata& m) -> std::vector<std::string> {
    std::vector<std::string> out;
    out.reserve(m.requires_dist_raw.size());
    for (const auto& h : m.requires_dist_raw) out.push_back(h.value);
    return sorted_trimmed(std::move(out));
}

auto extras(const metadata::Metadata& m) -> std::vector<std::string> {
    std::vector<std::string> out;
    out.reserve(m.provides_extra.size());
    for (const auto& e : m.provides_extra) out.push_back(tags::normalize_name(util::trim(e)));
    return sorted_trimmed(std::move(out));
}

auto shown(const std::vector<std::string>& values) -> std::string {
    return util::elide(values.empty() ? std::string("(none)") : "'" + util::join(values, "', '") + "'", 400);
}

auto same_version(const metadata::Metadata& a, const metadata::Metadata& b) -> bool {
    auto va = a.parsed_version();
    auto vb = b.parsed_version();
    if (va && vb) return *va == *vb;
    return util::trim(a.version) == util::trim(b.version);
}

}  // namespace

auto describe_metadata_source(const Candidate& file, MetadataSource source) -> std::string {
    switch (source) {
        case MetadataSource::pep658: return fmt::format("the PEP 658 file {}", util::redact_url(file.metadata_url()));
        case MetadataSource::range: return fmt::format("range requests to {}", util::redact_url(file.url));
        case MetadataSource::whole_file: return fmt::format("the file {} read whole", util::redact_url(file.url));
        case MetadataSource::local_file: return fmt::format("the local file {}", util::redact_url(file.url));
        case MetadataSource::cache: return fmt::format("wheelhouse's metadata cache (entry for {})", file.filename);
    }
    return "?";
}

auto check_wheel_metadata(const std::filesystem::path& wheel, std::string_view filename,
                          const metadata::Metadata& used, std::string_view used_from) -> Expected<void> {
    auto reader = archive::WheelReader::open(wheel, {});
    if (!reader) return unexpected(std::move(reader).error());
    auto text = reader->read_metadata();
    if (!text) return unexpected(std::move(text).error());
    const std::string own_label = fmt::format("{}:{}/METADATA", filename, reader->dist_info());
    auto own = metadata::Metadata::parse(*text, own_label);
    auto differ = [&](std::string_view field, const std::string& in_wheel,
                      const std::string& in_resolution) -> Expected<void> {
        return make_error(ErrorCode::verification,
                          fmt::format("{}: the wheel's own METADATA ({}) differs from the core metadata the "
                                      "resolution used, from {}: {} is {} in the wheel but {} in what the "
                                      "resolution used",
                                      filename, own_label, used_from, field, in_wheel, in_resolution),
                          {},
                          "the index served metadata that does not belong to this wheel (or the metadata cache was "
                          "altered): nothing was bundled; do not use that index, and report it to its owner");
    };
    if (!own) {
        return differ("the whole file", fmt::format("unreadable ({})", own.error().message), "readable");
    }
    if (tags::normalize_name(own->name) != tags::normalize_name(used.name)) {
        return differ("Name", "'" + own->name + "'", "'" + used.name + "'");
    }
    if (!same_version(*own, used)) return differ("Version", "'" + own->version + "'", "'" + used.version + "'");
    const auto own_python = std::string(util::trim(own->requires_python.value_or("")));
    const auto used_python = std::string(util::trim(used.requires_python.value_or("")));
    if (own_python != used_python) {
        return differ("Requires-Python", own_python.empty() ? "(none)" : "'" + own_python + "'",
                      used_python.empty() ? "(none)" : "'" + used_python + "'");
    }
    if (auto a = requires_dist(*own), b = requires_dist(used); a != b) return differ("Requires-Dist", shown(a), shown(b));
    if (auto a = extras(*own), b = extras(used); a != b) return differ("Provides-Extra", shown(a), shown(b));
    return {};
}

}  // namespace wheelhouse::index
