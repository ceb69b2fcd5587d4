// YAML (libyaml's event parser) to JSON with every scalar a string: OSV records need strings only, and reading
// "1.10" or a bare timestamp as anything else would change it.
#include <yaml.h>

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "wheelhouse/advisories/advisories.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::advisories {
namespace {

constexpr std::size_t k_max_depth = 64;  // OSV records nest 5 deep; deeper input is not an advisory

struct Parser {
    yaml_parser_t parser{};
    bool initialised = false;
    Parser() { initialised = yaml_parser_initialize(&parser) != 0; }
    ~Parser() {
        if (initialised) yaml_parser_delete(&parser);
    }
    Parser(const Parser&) = delete;
    auto operator=(const Parser&) -> Parser& = delete;
    Parser(Parser&&) = delete;
    auto operator=(Parser&&) -> Parser& = delete;
};

struct YamlEvent {
    yaml_event_t event{};
    ~YamlEvent() { yaml_event_delete(&event); }
    YamlEvent() = default;
    YamlEvent(const YamlEvent&) = delete;
    auto operator=(const YamlEvent&) -> YamlEvent& = delete;
    YamlEvent(YamlEvent&&) = delete;
    auto operator=(YamlEvent&&) -> YamlEvent& = delete;
};

auto at(std::string_view file, const yaml_mark_t& mark) -> Location {
    return Location{std::string(file), static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
}

auto bad_yaml(std::string_view file, const yaml_mark_t& mark, std::string message) -> Unexpected<Error> {
    return make_error(ErrorCode::invalid_input, "not a valid YAML advisory: " + message, at(file, mark),
                      "fix or remove the record; OSV records are YAML or JSON objects (ossf.github.io/osv-schema)");
}

}  // namespace

auto yaml_to_json(std::string_view text, std::string_view file) -> Expected<nlohmann::json> {
    Parser p;
    if (!p.initialised) return make_error(ErrorCode::internal, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&p.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());

    // Containers being built, innermost last; a mapping waits for its key's value in `keys`.
    std::vector<nlohmann::json> stack;
    std::vector<std::optional<std::string>> keys;
    std::optional<nlohmann::json> root;
    int documents = 0;

    auto add = [&](nlohmann::json value, const yaml_mark_t& mark) -> Expected<void> {
        if (stack.empty()) {
            root = std::move(value);
            return {};
        }
        auto& top = stack.back();
        if (top.is_array()) {
            top.push_back(std::move(value));
            return {};
        }
        auto& key = keys.back();
        if (!key) {
            if (!value.is_string()) return bad_yaml(file, mark, "a mapping key is not a plain value");
            key = value.get<std::string>();
            if (top.contains(*key)) return bad_yaml(file, mark, fmt::format("the key '{}' appears twice", *key));
            return {};
        }
        top[*key] = std::move(value);
        key.reset();
        return {};
    };

    for (;;) {
        YamlEvent e;
        if (yaml_parser_parse(&p.parser, &e.event) == 0) {
            return bad_yaml(file, p.parser.problem_mark, p.parser.problem != nullptr ? p.parser.problem : "syntax");
        }
        const auto mark = e.event.start_mark;
        switch (e.event.type) {
            case YAML_STREAM_END_EVENT:
                if (!root) return bad_yaml(file, mark, "the file is empty");
                return std::move(*root);
            case YAML_DOCUMENT_START_EVENT:
                if (++documents > 1) return bad_yaml(file, mark, "more than one YAML document");
                break;
            case YAML_ALIAS_EVENT: return bad_yaml(file, mark, "aliases (*name) are not used in advisories");
            case YAML_SCALAR_EVENT: {
                std::string value(reinterpret_cast<const char*>(e.event.data.scalar.value), e.event.data.scalar.length);
                // An unquoted "~" or "null" or nothing is YAML's null; keep it as null so that a missing value is
                // not taken for text.
                const bool plain = e.event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                nlohmann::json node =
                    (plain && (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL"))
                        ? nlohmann::json(nullptr)
                        : nlohmann::json(std::move(value));
                if (!stack.empty() && stack.back().is_object() && !keys.back() && node.is_null()) {
                    return bad_yaml(file, mark, "a mapping key is empty");
                }
                if (auto ok = add(std::move(node), mark); !ok) return unexpected(ok.error());
                break;
            }
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT:
                if (stack.size() >= k_max_depth) return bad_yaml(file, mark, "nested too deeply");
                if (!stack.empty() && stack.back().is_object() && !keys.back()) {
                    return bad_yaml(file, mark, "a mapping key is not a plain value");
                }
                stack.push_back(e.event.type == YAML_SEQUENCE_START_EVENT ? nlohmann::json::array()
                                                                          : nlohmann::json::object());
                keys.emplace_back();
                break;
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT: {
                auto done = std::move(stack.back());
                stack.pop_back();
                keys.pop_back();
                if (auto ok = add(std::move(done), mark); !ok) return unexpected(ok.error());
                break;
            }
            default: break;
        }
    }
}

}  // namespace wheelhouse::advisories
