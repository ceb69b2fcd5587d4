#include "wheelhouse/pep508/name.hpp"

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::pep508 {

auto canonicalize_name(std::string_view name) -> std::string {
    std::string out;
    out.reserve(name.size());
    bool in_run = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            if (!in_run) out += '-';
            in_run = true;
            continue;
        }
        in_run = false;
        out += util::to_lower_ascii(c);
    }
    return out;
}

auto is_valid_name(std::string_view name) -> bool {
    if (name.empty()) return false;
    if (!util::is_ascii_alnum(name.front()) || !util::is_ascii_alnum(name.back())) return false;
    for (char c : name) {
        if (!util::is_ascii_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
}

auto is_normalized_name(std::string_view name) -> bool {
    return is_valid_name(name) && canonicalize_name(name) == name;
}

}  // namespace wheelhouse::pep508
