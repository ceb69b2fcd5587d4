#include "wheelhouse/tags/tag.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::tags {
namespace {

auto invalid(std::string message, std::size_t offset, std::string_view text) -> Unexpected<Error> {
    auto error =
        make_error(ErrorCode::invalid_input, std::move(message), Location{{}, 0, static_cast<int>(offset) + 1},
                   "a tag is <python>-<abi>-<platform>, e.g. py3-none-any or cp311-cp311-manylinux_2_17_x86_64");
    error.error.context = std::string(text);
    return error;
}

// str.isidentifier() for ASCII; other characters (UTF-8 bytes) are taken as letters.
auto is_identifier(std::string_view s) -> bool {
    if (s.empty()) return false;
    auto first = s.front();
    if (!(util::is_ascii_alpha(first) || first == '_' || static_cast<unsigned char>(first) >= 0x80)) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return util::is_ascii_alnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
    });
}

void append_unique(std::vector<std::string>& out, std::string value) {
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

}  // namespace

auto Tag::make(std::string_view interpreter, std::string_view abi, std::string_view platform) -> Tag {
    return Tag{util::to_lower(interpreter), util::to_lower(abi), util::to_lower(platform)};
}

auto Tag::to_string() const -> std::string {
    return interpreter + '-' + abi + '-' + platform;
}

auto TagHash::operator()(const Tag& tag) const noexcept -> std::size_t {
    std::hash<std::string> h;
    std::size_t seed = h(tag.interpreter);
    seed ^= h(tag.abi) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    seed ^= h(tag.platform) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    return seed;
}

TagSet::TagSet(std::vector<std::string> interpreters, std::vector<std::string> abis, std::vector<std::string> platforms)
    : m_interpreters(std::move(interpreters)), m_abis(std::move(abis)), m_platforms(std::move(platforms)) {}

auto TagSet::parse(std::string_view text, TagParseOptions options) -> Expected<TagSet> {
    static constexpr const char* part_names[] = {"python tag", "ABI tag", "platform tag"};
    auto fields = util::split(text, '-');
    if (fields.size() != 3) {
        auto offset = fields.size() > 3
                          ? static_cast<std::size_t>(fields[0].size() + fields[1].size() + fields[2].size() + 2)
                          : text.size();
        return invalid(fmt::format("invalid tag: expected 3 parts separated by '-', found {}", fields.size()), offset,
                       text);
    }
    std::vector<std::string> lists[3];
    std::size_t offset = 0;
    for (std::size_t index = 0; index < 3; ++index) {
        auto items = util::split(fields[index], '.');
        std::size_t item_offset = offset;
        std::vector<std::string_view> raw;
        for (auto item : items) {
            if (item.empty()) {
                return invalid(fmt::format("invalid tag: empty component in the {}", part_names[index]), item_offset,
                               text);
            }
            if (index == 0 && !is_identifier(item)) {
                return invalid(fmt::format("invalid tag: python tag '{}' is not an identifier", item), item_offset,
                               text);
            }
            raw.push_back(item);
            item_offset += item.size() + 1;
        }
        if (options.validate_order && !std::is_sorted(raw.begin(), raw.end())) {
            return invalid(
                fmt::format("invalid tag: the components of the {} are not sorted (PEP 425)", part_names[index]),
                offset, text);
        }
        for (auto item : raw) append_unique(lists[index], util::to_lower(item));
        offset += fields[index].size() + 1;
    }
    auto count = lists[0].size() * lists[1].size() * lists[2].size();
    if (lists[0].size() > max_tags || lists[1].size() > max_tags || lists[2].size() > max_tags || count > max_tags) {
        return invalid(fmt::format("invalid tag: the compressed tag set has more than {} tags", max_tags), 0, text);
    }
    return TagSet(std::move(lists[0]), std::move(lists[1]), std::move(lists[2]));
}

auto TagSet::expand() const -> std::vector<Tag> {
    std::vector<Tag> out;
    out.reserve(size());
    for (const auto& interpreter : m_interpreters) {
        for (const auto& abi : m_abis) {
            for (const auto& platform : m_platforms) out.push_back(Tag{interpreter, abi, platform});
        }
    }
    return out;
}

auto TagSet::contains(const Tag& tag) const -> bool {
    auto has = [](const std::vector<std::string>& list, const std::string& value) {
        return std::find(list.begin(), list.end(), value) != list.end();
    };
    return has(m_interpreters, tag.interpreter) && has(m_abis, tag.abi) && has(m_platforms, tag.platform);
}

auto TagSet::to_string() const -> std::string {
    return util::join(m_interpreters, ".") + '-' + util::join(m_abis, ".") + '-' + util::join(m_platforms, ".");
}

auto TagSet::same_tags(const TagSet& other) const -> bool {
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    return sorted(m_interpreters) == sorted(other.m_interpreters) && sorted(m_abis) == sorted(other.m_abis) &&
           sorted(m_platforms) == sorted(other.m_platforms);
}

auto parse_tag(std::string_view text, TagParseOptions options) -> Expected<std::vector<Tag>> {
    auto set = TagSet::parse(text, options);
    if (!set) return unexpected(std::move(set).error());
    auto tags = set->expand();
    std::sort(tags.begin(), tags.end());
    return tags;
}

}  // namespace wheelhouse::tags
