#include "wheelhouse/s3/config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/strings.hpp"

extern char** environ;  // NOLINT: POSIX

namespace wheelhouse::s3 {
namespace {

auto ini_error(std::string_view path, int line, std::string message, std::string hint = {}) -> Unexpected<Error> {
    return make_error(ErrorCode::invalid_input, std::move(message), Location{std::string(path), line, 0},
                      std::move(hint));
}

// Splits "key = value" at the first '=' or ':'.
auto split_assignment(std::string_view line) -> std::optional<std::pair<std::string_view, std::string_view>> {
    const auto pos = line.find_first_of("=:");
    if (pos == std::string_view::npos) return std::nullopt;
    return std::pair{util::trim(line.substr(0, pos)), util::trim(line.substr(pos + 1))};
}

auto parse_nested(IniValue& value, std::string_view path) -> Expected<void> {
    if (value.value.empty() || value.value.front() != '\n') return {};
    // Continuation lines do not keep their own line numbers: errors point at the key that opens the block.
    const int line = value.line;
    for (auto raw : util::split(value.value, '\n')) {
        const auto text = util::trim(raw);
        if (text.empty()) continue;
        auto kv = split_assignment(text);
        if (!kv || kv->first.empty()) {
            return ini_error(path, line, fmt::format("expected 'key = value' in the nested settings: '{}'", text),
                             "indent only the 'key = value' lines that belong to the setting above (e.g. "
                             "'s3 =' then '  endpoint_url = ...')");
        }
        value.nested[util::to_lower(kv->first)] = std::string(kv->second);
    }
    return {};
}

auto expand_home(std::string_view path, const Environment& env) -> std::filesystem::path {
    if (path == "~" || path.substr(0, 2) == "~/") {
        auto home = env.get("HOME").value_or("");
        return std::filesystem::path(home) / std::string(path.substr(path.size() > 1 ? 2 : 1));
    }
    return std::filesystem::path(std::string(path));
}

auto load_optional(const std::filesystem::path& path) -> Expected<std::optional<IniFile>> {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<IniFile>{};
    auto text = util::read_file(path);
    if (!text) {
        auto error = std::move(text).error();
        if (error.hint.empty()) {
            error.hint =
                "check the file's permissions, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at "
                "another file";
        }
        return unexpected(std::move(error));
    }
    auto parsed = IniFile::parse(*text, path.string());
    if (!parsed) return unexpected(parsed.error());
    return std::optional<IniFile>(std::move(*parsed));
}

auto is_true(std::string_view value) -> bool {
    return util::iequals(util::trim(value), "true");
}

}  // namespace

auto Environment::current() -> Environment {
    std::map<std::string, std::string, std::less<>> vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return Environment(std::move(vars));
}

auto Environment::get(std::string_view name) const -> std::optional<std::string> {
    auto it = m_vars.find(name);
    if (it == m_vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

auto IniFile::find(std::string_view section) const -> const IniSection* {
    for (const auto& s : sections) {
        if (s.name == section) return &s;
    }
    return nullptr;
}

auto IniFile::parse(std::string_view text, std::string_view path) -> Expected<IniFile> {
    IniFile file;
    file.path = std::string(path);
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a BOM from Windows editors
    IniSection* section = nullptr;
    IniValue* last_value = nullptr;
    std::size_t last_indent = 0;
    int line_no = 0;
    for (auto raw : util::split(text, '\n')) {
        ++line_no;
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        if (!util::is_valid_utf8(raw)) {
            // The line itself is not quoted: it may hold a key.
            return ini_error(path, line_no, "invalid UTF-8", "save the file as UTF-8, as the AWS CLI reads it");
        }
        const auto line = util::trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') {
            // A blank line inside a continued value keeps the value open (configparser does the same),
            // but a comment does not end it either; only a new key or section does.
            continue;
        }
        const auto indent = static_cast<std::size_t>(line.data() - raw.data());
        if (last_value != nullptr && indent > last_indent) {
            last_value->value.push_back('\n');
            last_value->value += line;
            continue;
        }
        if (line.front() == '[') {
            const auto close = line.find(']');
            if (close == std::string_view::npos) {
                return ini_error(path, line_no, fmt::format("section header without ']': '{}'", line),
                                 "write the section as [name]");
            }
            const auto rest = util::trim(line.substr(close + 1));
            if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
                return ini_error(path, line_no, fmt::format("unexpected text after the section header: '{}'", rest),
                                 "put settings on their own lines below the [section] line");
            }
            auto name = std::string(util::trim(line.substr(1, close - 1)));
            if (name.empty()) {
                return ini_error(path, line_no, "empty section name '[]'",
                                 "name the section, e.g. [default] or [profile NAME]");
            }
            if (const auto* existing = file.find(name)) {
                return ini_error(path, line_no,
                                 fmt::format("section [{}] appears twice (first on line {})", name, existing->line),
                                 "merge the two sections");
            }
            file.sections.push_back(IniSection{std::move(name), line_no, {}});
            section = &file.sections.back();
            last_value = nullptr;
            continue;
        }
        auto kv = split_assignment(line);
        if (!kv || kv->first.empty()) {
            return ini_error(path, line_no, "expected '[section]' or 'key = value'", "check the line's syntax");
        }
        if (section == nullptr) {
            return ini_error(path, line_no, fmt::format("setting '{}' before any [section]", kv->first),
                             "put it under a [profile name] or [default] section");
        }
        auto key = util::to_lower(kv->first);
        auto [it, inserted] = section->values.try_emplace(key, IniValue{std::string(kv->second), {}, line_no});
        if (!inserted) {
            return ini_error(
                path, line_no,
                fmt::format("'{}' is set twice in [{}] (first on line {})", key, section->name, it->second.line),
                "keep one of the two lines");
        }
        last_value = &it->second;
        last_indent = indent;
    }
    for (auto& s : file.sections) {
        for (auto& [key, value] : s.values) {
            if (auto ok = parse_nested(value, path); !ok) return unexpected(ok.error());
        }
    }
    return file;
}

auto Profile::get(std::string_view key) const -> std::optional<std::string> {
    auto it = values.find(key);
    if (it == values.end() || !it->second.nested.empty()) return std::nullopt;
    return it->second.value;
}

auto Profile::get_nested(std::string_view key, std::string_view sub_key) const -> std::optional<std::string> {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    auto sub = it->second.nested.find(sub_key);
    if (sub == it->second.nested.end()) return std::nullopt;
    return sub->second;
}

auto SharedFiles::load(const Environment& env) -> Expected<SharedFiles> {
    SharedFiles files;
    files.config_path = expand_home(env.get("AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
    files.credentials_path = expand_home(env.get("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
    auto config = load_optional(files.config_path);
    if (!config) return unexpected(config.error());
    files.config = std::move(*config);
    auto credentials = load_optional(files.credentials_path);
    if (!credentials) return unexpected(credentials.error());
    files.credentials = std::move(*credentials);
    return files;
}

auto SharedFiles::from_text(std::string_view config_text, std::string_view credentials_text) -> Expected<SharedFiles> {
    SharedFiles files;
    files.config_path = "config";
    files.credentials_path = "credentials";
    auto config = IniFile::parse(config_text, "config");
    if (!config) return unexpected(config.error());
    auto credentials = IniFile::parse(credentials_text, "credentials");
    if (!credentials) return unexpected(credentials.error());
    files.config = std::move(*config);
    files.credentials = std::move(*credentials);
    return files;
}

auto SharedFiles::config_section(std::string_view profile_name) const -> const IniSection* {
    if (!config) return nullptr;
    // "[profile default]" is accepted too, and wins over "[default]" as in the AWS CLI.
    if (const auto* s = config->find(fmt::format("profile {}", profile_name))) return s;
    if (profile_name == "default") return config->find("default");
    return nullptr;
}

auto SharedFiles::credentials_section(std::string_view profile_name) const -> const IniSection* {
    return credentials ? credentials->find(profile_name) : nullptr;
}

auto SharedFiles::services_section(std::string_view name) const -> const IniSection* {
    return config ? config->find(fmt::format("services {}", name)) : nullptr;
}

auto SharedFiles::profile(std::string_view name) const -> std::optional<Profile> {
    const auto* from_config = config_section(name);
    const auto* from_credentials = credentials_section(name);
    if (from_config == nullptr && from_credentials == nullptr) return std::nullopt;
    Profile p;
    p.name = std::string(name);
    if (from_config != nullptr) p.values = from_config->values;
    if (from_credentials != nullptr) {
        for (const auto& [key, value] : from_credentials->values) p.values[key] = value;
    }
    return p;
}

auto choose_profile(const AwsOptions& options, const Environment& env) -> ProfileChoice {
    ProfileChoice choice;
    if (options.profile && !options.profile->empty()) {
        choice.name = *options.profile;
        choice.from_flag = true;
        choice.explicit_choice = true;
    } else if (auto p = env.get("AWS_PROFILE")) {
        choice.name = *p;
        choice.explicit_choice = true;
    } else if (auto legacy = env.get("AWS_DEFAULT_PROFILE")) {
        choice.name = *legacy;
        choice.explicit_choice = true;
    }
    return choice;
}

auto check_profile_exists(const ProfileChoice& choice, const SharedFiles& files) -> Expected<void> {
    if (!choice.explicit_choice || files.profile(choice.name)) return {};
    return make_error(ErrorCode::aws,
                      fmt::format("the AWS profile '{}' is not in {} or {}", choice.name, files.config_path.string(),
                                  files.credentials_path.string()),
                      {}, "check --profile / AWS_PROFILE, or add the profile with `aws configure --profile NAME`");
}

auto resolve_region(const AwsOptions& options, const Environment& env, const SharedFiles& files,
                    const ProfileChoice& profile) -> std::optional<Setting> {
    if (options.region && !options.region->empty()) return Setting{*options.region, "--region"};
    for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (auto v = env.get(name)) return Setting{*v, name};
    }
    if (auto p = files.profile(profile.name)) {
        if (auto region = p->get("region"); region && !region->empty()) {
            return Setting{*region, fmt::format("profile '{}'", profile.name)};
        }
    }
    return std::nullopt;
}

auto resolve_endpoint_url(const AwsOptions& options, const Environment& env, const SharedFiles& files,
                          const ProfileChoice& profile, std::string_view service_id) -> std::optional<Setting> {
    if (options.endpoint_url && !options.endpoint_url->empty()) return Setting{*options.endpoint_url, "--endpoint-url"};
    const auto p = files.profile(profile.name);
    if (auto ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        if (is_true(*ignore)) return std::nullopt;
    } else if (p) {
        if (auto ignore_cfg = p->get("ignore_configured_endpoint_urls"); ignore_cfg && is_true(*ignore_cfg)) {
            return std::nullopt;
        }
    }
    // The service id in the variable name is upper case with spaces and dashes as underscores.
    std::string suffix;
    for (char c : service_id)
        suffix.push_back((c == ' ' || c == '-') ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
    const auto service_var = "AWS_ENDPOINT_URL_" + suffix;
    if (auto v = env.get(service_var)) return Setting{*v, service_var};
    if (auto v = env.get("AWS_ENDPOINT_URL")) return Setting{*v, "AWS_ENDPOINT_URL"};
    if (!p) return std::nullopt;
    const auto service_key = util::to_lower(std::string(service_id));
    if (auto services = p->get("services")) {
        if (const auto* section = files.services_section(*services)) {
            auto it = section->values.find(service_key);
            if (it != section->values.end()) {
                auto url = it->second.nested.find("endpoint_url");
                if (url != it->second.nested.end()) {
                    return Setting{url->second,
                                   fmt::format("[services {}] in {}", *services, files.config_path.string())};
                }
            }
        }
    }
    if (auto url = p->get("endpoint_url"); url && !url->empty()) {
        return Setting{*url, fmt::format("profile '{}'", profile.name)};
    }
    return std::nullopt;
}

}  // namespace wheelhouse::s3
