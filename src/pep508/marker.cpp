#include "wheelhouse/pep508/marker.hpp"

#include <variant>

#include "syntax.hpp"
#include "wheelhouse/pep440/specifier.hpp"
#include "wheelhouse/pep440/version.hpp"
#include "wheelhouse/pep508/name.hpp"

namespace wheelhouse::pep508 {
namespace {

using detail::Scanner;

auto op_text(MarkerOp op) -> std::string_view {
    switch (op) {
        case MarkerOp::less: return "<";
        case MarkerOp::less_equal: return "<=";
        case MarkerOp::equal: return "==";
        case MarkerOp::not_equal: return "!=";
        case MarkerOp::greater_equal: return ">=";
        case MarkerOp::greater: return ">";
        case MarkerOp::compatible: return "~=";
        case MarkerOp::arbitrary: return "===";
        case MarkerOp::in: return "in";
        case MarkerOp::not_in: return "not in";
    }
    return "==";
}

// A literal is printed in double quotes unless it contains one; parsing never produces a literal
// holding both quote characters, because a quoted string cannot contain its own delimiter.
void append_operand(std::string& out, const Operand& operand) {
    if (operand.is_variable) {
        out += operand.text;
        return;
    }
    char quote = operand.text.find('"') == std::string::npos ? '"' : '\'';
    out += quote;
    out += operand.text;
    out += quote;
}

// packaging's formatting: the top level has no parentheses, a list holding exactly one element is
// printed as that element, and any other nested list is parenthesised.
void format_node(std::string& out, const Marker::Node& node, bool top) {
    if (node.is_item) {
        append_operand(out, node.lhs);
        out += ' ';
        out += op_text(node.op);
        out += ' ';
        append_operand(out, node.rhs);
        return;
    }
    if (node.children.size() == 1) {
        format_node(out, node.children.front(), top);
        return;
    }
    if (!top) out += '(';
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) out += node.joins[i - 1] == BoolOp::and_op ? " and " : " or ";
        format_node(out, node.children[i], false);
    }
    if (!top) out += ')';
}

// The variables packaging compares as PEP 440 versions (when the other side is a valid specifier).
auto is_version_variable(std::string_view key) -> bool {
    return key == "python_version" || key == "python_full_version" || key == "implementation_version" ||
           key == "platform_release";
}

auto is_set_variable(std::string_view key) -> bool {
    return key == "extras" || key == "dependency_groups";
}

struct Context {
    const Environment* env = nullptr;
    const std::set<std::string>* extras = nullptr;  // set-valued variables: only in lock files
    const std::set<std::string>* groups = nullptr;
};

using Value = std::variant<std::string, const std::set<std::string>*>;

auto undefined_name(std::string_view key) -> Unexpected<Error> {
    return make_error(ErrorCode::invalid_input, "Undefined environment name '" + std::string(key) + "' in marker");
}

auto lookup(const Context& ctx, std::string_view key) -> Expected<Value> {
    if (key == "extras" && ctx.extras != nullptr) return Value{ctx.extras};
    if (key == "dependency_groups" && ctx.groups != nullptr) return Value{ctx.groups};
    auto it = ctx.env->find(key);
    if (it == ctx.env->end()) return undefined_name(key);
    return Value{it->second};
}

auto undefined_comparison(MarkerOp op, std::string_view lhs, std::string_view rhs) -> Unexpected<Error> {
    return make_error(ErrorCode::invalid_input, "Undefined comparison '" + std::string(op_text(op)) + "' on '" +
                                                    std::string(lhs) + "' and '" + std::string(rhs) + "' in marker");
}

auto compare(const std::string& lhs, MarkerOp op, const Value& rhs, std::string_view key) -> Expected<bool> {
    if (const auto* set = std::get_if<const std::set<std::string>*>(&rhs)) {
        // Only membership is defined on a set, and both sides compare normalised.
        auto name = canonicalize_name(lhs);
        bool found = false;
        for (const auto& member : **set) found = found || canonicalize_name(member) == name;
        // A string never equals a set, so the string operators give these constant answers.
        switch (op) {
            case MarkerOp::in: return found;
            case MarkerOp::not_in: return !found;
            case MarkerOp::not_equal: return true;
            case MarkerOp::less:
            case MarkerOp::less_equal:
            case MarkerOp::equal:
            case MarkerOp::greater_equal:
            case MarkerOp::greater: return false;
            case MarkerOp::compatible:
            case MarkerOp::arbitrary: break;
        }
        return undefined_comparison(op, lhs, "<set>");
    }
    std::string right = std::get<std::string>(rhs);
    std::string left = lhs;
    if (is_set_variable(key)) {
        left = canonicalize_name(left);
        right = canonicalize_name(right);
    }
    if (is_version_variable(key) && op != MarkerOp::in && op != MarkerOp::not_in) {
        auto spec = pep440::Specifier::parse(std::string(op_text(op)) + right);
        if (spec) {
            if (spec->op() == pep440::Operator::arbitrary) return spec->matches_text(left);
            auto version = pep440::Version::parse(left);
            if (!version) return false;
            return spec->contains(*version, true);
        }
    }
    // Plain strings have no order: "<" and ">" never hold and "<=" / ">=" mean equality.
    switch (op) {
        case MarkerOp::in: return right.find(left) != std::string::npos;
        case MarkerOp::not_in: return right.find(left) == std::string::npos;
        case MarkerOp::less:
        case MarkerOp::greater: return false;
        case MarkerOp::less_equal:
        case MarkerOp::equal:
        case MarkerOp::greater_equal: return left == right;
        case MarkerOp::not_equal: return left != right;
        case MarkerOp::compatible:
        case MarkerOp::arbitrary: break;
    }
    return undefined_comparison(op, left, right);
}

auto evaluate_item(const Marker::Node& node, const Context& ctx) -> Expected<bool> {
    // As packaging does: with a variable on the left its value is looked up and the right side is
    // taken as written; otherwise the right side's text names the variable to look up.
    std::string key;
    std::string lhs;
    Value rhs;
    if (node.lhs.is_variable) {
        key = node.lhs.text;
        auto value = lookup(ctx, key);
        if (!value) return unexpected(std::move(value).error());
        if (!std::holds_alternative<std::string>(*value)) {
            return undefined_comparison(node.op, "<set>", node.rhs.text);
        }
        lhs = std::get<std::string>(*value);
        rhs = node.rhs.text;
    } else {
        key = node.rhs.text;
        lhs = node.lhs.text;
        auto value = lookup(ctx, key);
        if (!value) return unexpected(std::move(value).error());
        rhs = std::move(*value);
    }
    return compare(lhs, node.op, rhs, key);
}

// Every comparison is evaluated (no short-circuit), so an undefined comparison is reported wherever
// it sits, as packaging does; `and` binds tighter than `or`.
auto evaluate_node(const Marker::Node& node, const Context& ctx) -> Expected<bool> {
    if (node.is_item) return evaluate_item(node, ctx);
    bool any_group = false;
    bool group = true;
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0 && node.joins[i - 1] == BoolOp::or_op) {
            any_group = any_group || group;
            group = true;
        }
        auto value = evaluate_node(node.children[i], ctx);
        if (!value) return value;
        group = group && *value;
    }
    return any_group || group;
}

void collect_extras(const Marker::Node& node, std::set<std::string>& out) {
    if (!node.is_item) {
        for (const auto& child : node.children) collect_extras(child, out);
        return;
    }
    auto mentions = [](const Operand& o) { return o.is_variable && (o.text == "extra" || o.text == "extras"); };
    if (mentions(node.lhs) && !node.rhs.is_variable) out.insert(canonicalize_name(node.rhs.text));
    if (mentions(node.rhs) && !node.lhs.is_variable) out.insert(canonicalize_name(node.lhs.text));
}

// packaging repairs the python_full_version of untagged CPython builds ("3.11.1+").
void repair_environment(Environment& env) {
    auto it = env.find("python_full_version");
    if (it != env.end() && !it->second.empty() && it->second.back() == '+') it->second += "local";
}

}  // namespace

auto Marker::parse(std::string_view text) -> Expected<Marker> {
    Scanner scanner(text);
    auto root = detail::parse_marker_expression(scanner);
    if (!root) return unexpected(std::move(root).error());
    if (!scanner.at_end()) {
        return detail::syntax_error(text, "Expected end of marker expression", scanner.position(), scanner.position());
    }
    detail::normalize_marker_literals(*root);
    return Marker(std::make_shared<const Node>(std::move(*root)));
}

auto Marker::to_string() const -> std::string {
    std::string out;
    if (m_root) format_node(out, *m_root, true);
    return out;
}

auto Marker::evaluate(const Environment& env, const std::set<std::string>& extras) const -> Expected<bool> {
    if (!m_root) return true;
    Environment current = env;
    repair_environment(current);
    Context ctx{&current, nullptr, nullptr};
    if (extras.empty()) {
        auto it = current.find("extra");
        if (it == current.end()) {
            current["extra"] = "";
        } else {
            it->second = canonicalize_name(it->second);
        }
        return evaluate_node(*m_root, ctx);
    }
    for (const auto& extra : extras) {
        current["extra"] = canonicalize_name(extra);
        auto value = evaluate_node(*m_root, ctx);
        if (!value || *value) return value;
    }
    return false;
}

auto Marker::evaluate_lock_file(const Environment& env, const std::set<std::string>& extras,
                                const std::set<std::string>& dependency_groups) const -> Expected<bool> {
    if (!m_root) return true;
    Environment current = env;
    repair_environment(current);
    if (auto it = current.find("extra"); it != current.end()) it->second = canonicalize_name(it->second);
    Context ctx{&current, &extras, &dependency_groups};
    return evaluate_node(*m_root, ctx);
}

auto Marker::mentioned_extras() const -> std::set<std::string> {
    std::set<std::string> out;
    if (m_root) collect_extras(*m_root, out);
    return out;
}

auto linux_cpython_environment(std::string_view python_full_version) -> Environment {
    std::string full(python_full_version);
    // "major.minor" is the first two dot-separated parts of the full version.
    std::string short_version = full;
    auto first_dot = full.find('.');
    if (first_dot != std::string::npos) {
        auto second_dot = full.find('.', first_dot + 1);
        if (second_dot != std::string::npos) short_version = full.substr(0, second_dot);
    }
    return Environment{
        {"implementation_name", "cpython"},
        {"implementation_version", full},
        {"os_name", "posix"},
        {"platform_machine", "x86_64"},
        {"platform_python_implementation", "CPython"},
        {"platform_release", ""},
        {"platform_system", "Linux"},
        {"platform_version", ""},
        {"python_full_version", full},
        {"python_version", short_version},
        {"sys_platform", "linux"},
    };
}

}  // namespace wheelhouse::pep508
