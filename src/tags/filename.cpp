#include "wheelhouse/tags/filename.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

constexpr std::string_view wheel_hint =
    "a wheel file name is {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl";
constexpr std::string_view sdist_hint = "an sdist file name is {name}-{version}.tar.gz or {name}-{version}.zip";

auto invalid(std::string message, std::size_t offset, std::string_view filename, std::string_view hint)
    -> Unexpected<Error> {
    auto error =
        make_error(ErrorCode::invalid_input, std::move(message),
                   Location{{}, 0, static_cast<int>(std::min<std::size_t>(offset, 1U << 30U)) + 1}, std::string(hint));
    error.error.context = std::string(filename);
    return error;
}

auto ends_with(std::string_view s, std::string_view suffix) -> bool {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Control characters never belong in a file name; packaging lets some through by accident of
// its regular expressions ("foo\n" passes a '$' anchor), current packaging refuses them. A path separator
// would make the name a path wherever it is used (cache entries, bundle members, mirror files), and the
// build tag's suffix and the ABI and platform tags are otherwise free text: refuse it here, once.
auto check_text(std::string_view filename, std::string_view hint) -> Expected<void> {
    for (std::size_t i = 0; i < filename.size(); ++i) {
        auto c = static_cast<unsigned char>(filename[i]);
        if (c < 0x20 || c == 0x7f) return invalid("control character in file name", i, filename, hint);
        if (c == '/' || c == '\\') {
            return invalid(fmt::format("path separator '{}' in file name", static_cast<char>(c)), i, filename, hint);
        }
    }
    if (!util::is_valid_utf8(filename)) return invalid("file name is not valid UTF-8", 0, filename, hint);
    return {};
}

// PEP 427 escapes names to word characters, '.' and '_' ('-' separates the parts).
auto check_wheel_name(std::string_view name, std::string_view filename) -> Expected<void> {
    if (name.empty()) return invalid("invalid wheel file name: empty project name", 0, filename, wheel_hint);
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = name[i];
        bool ok = util::is_ascii_alnum(c) || c == '_' || c == '.' || static_cast<unsigned char>(c) >= 0x80;
        if (!ok) {
            return invalid(fmt::format("invalid wheel file name: character '{}' not allowed in the project name", c), i,
                           filename, wheel_hint);
        }
    }
    if (auto pos = name.find("__"); pos != std::string_view::npos) {
        return invalid("invalid wheel file name: '__' in the project name", pos, filename, wheel_hint);
    }
    return {};
}

auto parse_version_part(std::string_view text, std::size_t offset, std::string_view filename, std::string_view hint)
    -> Expected<pep440::Version> {
    auto version = pep440::Version::parse(text);
    if (!version) {
        auto column = version.error().location.column;
        auto at = offset + (column > 0 ? static_cast<std::size_t>(column - 1) : 0);
        return invalid(fmt::format("invalid version '{}': {}", text, version.error().message), at, filename, hint);
    }
    return std::move(version).value();
}

}  // namespace

auto operator<=>(const BuildTag& a, const BuildTag& b) -> std::strong_ordering {
    if (auto c = a.number.size() <=> b.number.size(); c != 0) return c;
    if (auto c = a.number <=> b.number; c != 0) return c;
    return a.suffix <=> b.suffix;
}

auto normalize_name(std::string_view name) -> std::string {
    std::string out;
    out.reserve(name.size());
    bool in_separator = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            if (!in_separator) out.push_back('-');
            in_separator = true;
            continue;
        }
        in_separator = false;
        out.push_back(util::to_lower_ascii(c));
    }
    return out;
}

auto is_wheel_filename(std::string_view filename) -> bool {
    return ends_with(filename, ".whl");
}

auto is_sdist_filename(std::string_view filename) -> bool {
    return ends_with(filename, ".tar.gz") || ends_with(filename, ".zip");
}

auto WheelFilename::parse(std::string_view filename, WheelParseOptions options) -> Expected<WheelFilename> {
    if (auto ok = check_text(filename, wheel_hint); !ok) return unexpected(std::move(ok).error());
    if (!is_wheel_filename(filename)) {
        return invalid("invalid wheel file name: extension must be '.whl'",
                       filename.rfind('.') == std::string_view::npos ? filename.size() : filename.rfind('.'), filename,
                       wheel_hint);
    }
    auto stem = filename.substr(0, filename.size() - 4);
    auto dashes = static_cast<std::size_t>(std::count(stem.begin(), stem.end(), '-'));
    if (dashes != 4 && dashes != 5) {
        return invalid(
            fmt::format("invalid wheel file name: expected 5 or 6 parts separated by '-', found {}", dashes + 1), 0,
            filename, wheel_hint);
    }
    auto parts = util::split(stem, '-');
    std::vector<std::size_t> offsets;
    std::size_t offset = 0;
    for (auto part : parts) {
        offsets.push_back(offset);
        offset += part.size() + 1;
    }

    WheelFilename out;
    if (auto ok = check_wheel_name(parts[0], filename); !ok) return unexpected(std::move(ok).error());
    out.m_raw_name = std::string(parts[0]);
    out.m_name = normalize_name(parts[0]);

    auto version = parse_version_part(parts[1], offsets[1], filename, wheel_hint);
    if (!version) return unexpected(std::move(version).error());
    out.m_version = std::move(version).value();
    out.m_version_text = std::string(parts[1]);

    if (dashes == 5) {
        auto build = parts[2];
        std::size_t digits = 0;
        while (digits < build.size() && util::is_ascii_digit(build[digits])) ++digits;
        if (digits == 0) {
            return invalid(fmt::format("invalid wheel file name: build tag '{}' must start with a digit", build),
                           offsets[2], filename, wheel_hint);
        }
        auto number = build.substr(0, digits);
        auto first_nonzero = number.find_first_not_of('0');
        out.m_build = BuildTag{
            first_nonzero == std::string_view::npos ? std::string("0") : std::string(number.substr(first_nonzero)),
            std::string(build.substr(digits))};
    }

    auto tag_offset = offsets[dashes - 2];
    auto tags = TagSet::parse(stem.substr(tag_offset), TagParseOptions{options.validate_order});
    if (!tags) {
        auto column = tags.error().location.column;
        auto at = tag_offset + (column > 0 ? static_cast<std::size_t>(column - 1) : 0);
        return invalid(fmt::format("invalid wheel file name: {}", tags.error().message), at, filename, wheel_hint);
    }
    out.m_tags = std::move(tags).value();
    return out;
}

auto WheelFilename::to_string() const -> std::string {
    std::string out = m_raw_name + '-' + m_version.to_string();
    if (m_build) out += '-' + m_build->to_string();
    out += '-' + m_tags.to_string() + ".whl";
    return out;
}

auto operator==(const WheelFilename& a, const WheelFilename& b) -> bool {
    return a.m_name == b.m_name && a.m_version == b.m_version && a.m_build == b.m_build && a.m_tags.same_tags(b.m_tags);
}

auto SdistFilename::parse(std::string_view filename) -> Expected<SdistFilename> {
    if (auto ok = check_text(filename, sdist_hint); !ok) return unexpected(std::move(ok).error());
    SdistFilename out;
    std::string_view stem;
    if (ends_with(filename, ".tar.gz")) {
        stem = filename.substr(0, filename.size() - 7);
        out.format = SdistFormat::tar_gz;
    } else if (ends_with(filename, ".zip")) {
        stem = filename.substr(0, filename.size() - 4);
        out.format = SdistFormat::zip;
    } else {
        return invalid("invalid sdist file name: extension must be '.tar.gz' or '.zip'",
                       filename.rfind('.') == std::string_view::npos ? filename.size() : filename.rfind('.'), filename,
                       sdist_hint);
    }
    auto dash = stem.rfind('-');
    if (dash == std::string_view::npos) {
        return invalid("invalid sdist file name: no '-' between name and version", 0, filename, sdist_hint);
    }
    if (dash == 0) return invalid("invalid sdist file name: empty project name", 0, filename, sdist_hint);
    out.name = normalize_name(stem.substr(0, dash));
    auto version = parse_version_part(stem.substr(dash + 1), dash + 1, filename, sdist_hint);
    if (!version) return unexpected(std::move(version).error());
    out.version = std::move(version).value();
    return out;
}

}  // namespace wheelhouse::tags
