#include "paths.hpp"

#include <filesystem>
#include <system_error>
#include <vector>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::reqfile::detail {

auto posix_dirname(std::string_view path) -> std::string {
    auto i = path.rfind('/');
    if (i == std::string_view::npos) return {};
    std::string head(path.substr(0, i + 1));
    if (head.find_first_not_of('/') != std::string::npos) {
        while (!head.empty() && head.back() == '/') head.pop_back();
    }
    return head;
}

auto posix_join(std::string_view a, std::string_view b) -> std::string {
    if (!b.empty() && b.front() == '/') return std::string(b);
    if (a.empty() || a.back() == '/') return std::string(a) + std::string(b);
    return std::string(a) + "/" + std::string(b);
}

auto posix_basename(std::string_view path) -> std::string {
    auto i = path.rfind('/');
    return std::string(i == std::string_view::npos ? path : path.substr(i + 1));
}

auto posix_normpath(std::string_view path) -> std::string {
    if (path.empty()) return ".";
    std::size_t initial = 0;
    if (path.front() == '/')
        initial = (path.size() > 1 && path[1] == '/' && (path.size() == 2 || path[2] != '/')) ? 2 : 1;
    std::vector<std::string_view> parts;
    for (auto comp : util::split(path, '/')) {
        if (comp.empty() || comp == ".") continue;
        if (comp != ".." || (initial == 0 && parts.empty()) || (!parts.empty() && parts.back() == "..")) {
            parts.push_back(comp);
        } else if (!parts.empty()) {
            parts.pop_back();
        }
    }
    std::string out(initial, '/');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += '/';
        out += parts[i];
    }
    return out.empty() ? "." : out;
}

auto absolute_path(std::string_view path) -> std::string {
    if (!path.empty() && path.front() == '/') return posix_normpath(path);
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec);
    return posix_normpath(posix_join(ec ? std::string("/") : cwd.string(), path));
}

auto pip_extension(std::string_view filename) -> std::string {
    // posixpath.splitext: leading dots of the name do not start an extension.
    auto split = [](std::string_view name) -> std::pair<std::string_view, std::string_view> {
        auto dot = name.rfind('.');
        if (dot == std::string_view::npos) return {name, {}};
        auto first_non_dot = name.find_first_not_of('.');
        if (first_non_dot == std::string_view::npos || dot < first_non_dot) return {name, {}};
        return {name.substr(0, dot), name.substr(dot)};
    };
    auto [base, ext] = split(filename);
    std::string out(ext);
    if (base.size() >= 4 && util::iequals(base.substr(base.size() - 4), ".tar")) {
        out = std::string(base.substr(base.size() - 4)) + out;
    }
    return out;
}

auto url_scheme(std::string_view s) -> std::string {
    // urlsplit drops leading C0 controls and spaces first.
    std::size_t i = 0;
    while (i < s.size() && static_cast<unsigned char>(s[i]) <= 0x20) ++i;
    s.remove_prefix(i);
    auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || !util::is_ascii_alpha(s[0])) return {};
    for (std::size_t k = 0; k < colon; ++k) {
        char c = s[k];
        if (c == '\t' || c == '\r' || c == '\n') continue;  // urlsplit removes these anywhere
        if (!util::is_ascii_alnum(c) && c != '+' && c != '-' && c != '.') return {};
    }
    std::string out;
    for (std::size_t k = 0; k < colon; ++k)
        if (s[k] != '\t' && s[k] != '\r' && s[k] != '\n') out += util::to_lower_ascii(s[k]);
    return out;
}

auto has_include_scheme(std::string_view s) -> bool {
    return util::starts_with_icase(s, "http:") || util::starts_with_icase(s, "https:") ||
           util::starts_with_icase(s, "file:");
}

namespace {

struct UrlParts {
    std::string scheme;
    std::optional<std::string> authority;
    std::string path;
    std::optional<std::string> query;
    std::optional<std::string> fragment;
};

auto split_url(std::string_view s) -> UrlParts {
    UrlParts u;
    auto scheme = url_scheme(s);
    if (!scheme.empty()) {
        s.remove_prefix(s.find(':') + 1);
        u.scheme = scheme;
    }
    if (auto h = s.find('#'); h != std::string_view::npos) {
        u.fragment = std::string(s.substr(h + 1));
        s = s.substr(0, h);
    }
    if (auto q = s.find('?'); q != std::string_view::npos) {
        u.query = std::string(s.substr(q + 1));
        s = s.substr(0, q);
    }
    if (s.substr(0, 2) == "//") {
        s.remove_prefix(2);
        auto slash = s.find('/');
        u.authority = std::string(s.substr(0, slash));
        s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
    }
    u.path = std::string(s);
    return u;
}

auto remove_dot_segments(std::string_view path) -> std::string {
    std::vector<std::string> out;
    auto segs = util::split(path, '/');
    bool absolute = !path.empty() && path.front() == '/';
    for (std::size_t i = absolute ? 1 : 0; i < segs.size(); ++i) {
        auto seg = segs[i];
        bool last = i + 1 == segs.size();
        if (seg == ".") {
            if (last) out.emplace_back();
        } else if (seg == "..") {
            if (!out.empty()) out.pop_back();
            if (last) out.emplace_back();
        } else {
            out.emplace_back(seg);
        }
    }
    std::string r = absolute ? "/" : "";
    r += util::join(out, "/");
    return r;
}

}  // namespace

auto url_join(std::string_view base, std::string_view ref) -> std::string {
    if (base.empty()) return std::string(ref);
    if (ref.empty()) return std::string(base);
    auto b = split_url(base);
    auto r = split_url(ref);
    if (!r.scheme.empty() && r.scheme != b.scheme) return std::string(ref);
    UrlParts t;
    t.scheme = b.scheme;
    if (r.authority) {
        t.authority = r.authority;
        t.path = remove_dot_segments(r.path);
        t.query = r.query;
    } else if (r.path.empty()) {
        t.authority = b.authority;
        t.path = b.path;
        t.query = r.query ? r.query : b.query;
    } else {
        t.authority = b.authority;
        if (r.path.front() == '/') {
            t.path = remove_dot_segments(r.path);
        } else {
            auto slash = b.path.rfind('/');
            std::string merged = slash == std::string::npos ? (b.authority ? "/" : "") : b.path.substr(0, slash + 1);
            t.path = remove_dot_segments(merged + r.path);
        }
        t.query = r.query;
    }
    t.fragment = r.fragment;
    std::string out = t.scheme.empty() ? "" : t.scheme + ":";
    if (t.authority) out += "//" + *t.authority;
    out += t.path;
    if (t.query) out += "?" + *t.query;
    if (t.fragment) out += "#" + *t.fragment;
    return out;
}

auto percent_decode(std::string_view s) -> std::string {
    auto hex = [](char c) -> int {
        if (util::is_ascii_digit(c)) return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int h = hex(s[i + 1]);
            int l = hex(s[i + 2]);
            if (h >= 0 && l >= 0) {
                out += static_cast<char>(h * 16 + l);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

auto url_filename(std::string_view url) -> std::string {
    auto u = split_url(url);
    std::string path = percent_decode(u.path);
    while (!path.empty() && path.back() == '/') path.pop_back();
    auto name = posix_basename(path);
    if (name.empty() && u.authority) return *u.authority;
    return name;
}

auto file_url_to_path(std::string_view url) -> std::optional<std::string> {
    auto u = split_url(url);
    if (u.authority && !u.authority->empty() && *u.authority != "localhost") return std::nullopt;
    return percent_decode(u.path);
}

}  // namespace wheelhouse::reqfile::detail
