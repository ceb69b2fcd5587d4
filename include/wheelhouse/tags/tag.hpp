// Compatibility tags (PEP 425): one Tag, and compressed tag sets such as "py2.py3-none-any".
#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::tags {

// One (interpreter, abi, platform) triple, always lower case.
struct Tag {
    std::string interpreter;
    std::string abi;
    std::string platform;

    // Lower-cases its parts, as packaging's Tag does.
    static auto make(std::string_view interpreter, std::string_view abi, std::string_view platform) -> Tag;

    [[nodiscard]] auto to_string() const -> std::string;  // "cp311-cp311-manylinux_2_17_x86_64"
    auto operator<=>(const Tag&) const = default;
    auto operator==(const Tag&) const -> bool = default;
};

struct TagHash {
    auto operator()(const Tag& tag) const noexcept -> std::size_t;
};

struct TagParseOptions {
    // PEP 425 asks that the dotted parts of a compressed set be sorted; packaging only checks
    // this when asked (validate_order=True), and real wheels do not always comply.
    bool validate_order = false;
};

// A compressed tag set: the cartesian product of its three dotted lists. Parts are lower-cased
// and de-duplicated, keeping their first position.
class TagSet {
public:
    // Rules (those of current pypa/packaging): exactly three '-'-separated parts, no empty dotted
    // component, every interpreter an identifier (letter or '_' first). A product larger than
    // max_tags is refused, so that a hostile name cannot make callers expand billions of tags.
    static constexpr std::size_t max_tags = 4096;
    static auto parse(std::string_view text, TagParseOptions options = {}) -> Expected<TagSet>;

    [[nodiscard]] auto interpreters() const -> const std::vector<std::string>& { return m_interpreters; }
    [[nodiscard]] auto abis() const -> const std::vector<std::string>& { return m_abis; }
    [[nodiscard]] auto platforms() const -> const std::vector<std::string>& { return m_platforms; }

    // Every tag of the set, interpreter-major order.
    [[nodiscard]] auto expand() const -> std::vector<Tag>;
    [[nodiscard]] auto size() const -> std::size_t {
        return m_interpreters.size() * m_abis.size() * m_platforms.size();
    }
    [[nodiscard]] auto contains(const Tag& tag) const -> bool;
    // Dotted lists in stored order; parses back to an equal set.
    [[nodiscard]] auto to_string() const -> std::string;
    // Same set compared as sets (order of the dotted parts does not matter).
    [[nodiscard]] auto same_tags(const TagSet& other) const -> bool;

    TagSet() = default;
    TagSet(std::vector<std::string> interpreters, std::vector<std::string> abis, std::vector<std::string> platforms);

private:
    std::vector<std::string> m_interpreters;
    std::vector<std::string> m_abis;
    std::vector<std::string> m_platforms;
};

// parse_tag of packaging: the expanded set (sorted, no duplicates).
auto parse_tag(std::string_view text, TagParseOptions options = {}) -> Expected<std::vector<Tag>>;

}  // namespace wheelhouse::tags
