// The AWS shared config and credentials files (INI), profile selection, and the region and endpoint
// settings resolved from flags, environment and profile as the AWS CLI does.
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::s3 {

// A snapshot of environment variables, so that resolution is a pure function of its inputs in tests.
// An empty value counts as unset (as in the AWS CLI).
class Environment {
public:
    Environment() = default;
    explicit Environment(std::map<std::string, std::string, std::less<>> vars) : m_vars(std::move(vars)) {}
    Environment(std::initializer_list<std::pair<const std::string, std::string>> vars) : m_vars(vars) {}
    static auto current() -> Environment;
    [[nodiscard]] auto get(std::string_view name) const -> std::optional<std::string>;

private:
    std::map<std::string, std::string, std::less<>> m_vars;
};

struct IniValue {
    std::string value;
    // An empty value followed by indented "key = value" lines ("s3 =\n  endpoint_url = ...").
    std::map<std::string, std::string, std::less<>> nested;
    int line = 0;
};

struct IniSection {
    std::string name;  // as written between the brackets, trimmed ("profile dev", "default")
    int line = 0;
    std::map<std::string, IniValue, std::less<>> values;  // keys lowercased
};

struct IniFile {
    std::string path;
    std::vector<IniSection> sections;
    [[nodiscard]] auto find(std::string_view section) const -> const IniSection*;

    // '#' and ';' start comment lines; keys are case-insensitive; '=' or ':' separates key and value;
    // indented lines continue the previous value. A duplicate section or key is an error (the AWS CLI
    // refuses such files too). Errors carry file:line.
    static auto parse(std::string_view text, std::string_view path) -> Expected<IniFile>;
};

// One profile seen through both files: the config file's section, overridden key by key by the
// credentials file's section.
struct Profile {
    std::string name;
    std::map<std::string, IniValue, std::less<>> values;
    [[nodiscard]] auto get(std::string_view key) const -> std::optional<std::string>;
    [[nodiscard]] auto get_nested(std::string_view key, std::string_view sub_key) const -> std::optional<std::string>;
};

struct SharedFiles {
    std::filesystem::path config_path;
    std::filesystem::path credentials_path;
    std::optional<IniFile> config;       // nullopt: the file does not exist
    std::optional<IniFile> credentials;  // nullopt: the file does not exist

    // AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
    // A missing file is not an error; an unreadable or malformed one is.
    static auto load(const Environment& env) -> Expected<SharedFiles>;
    static auto from_text(std::string_view config_text, std::string_view credentials_text) -> Expected<SharedFiles>;

    // "[profile name]" (or "[default]") in config, "[name]" in credentials.
    [[nodiscard]] auto config_section(std::string_view profile) const -> const IniSection*;
    [[nodiscard]] auto credentials_section(std::string_view profile) const -> const IniSection*;
    [[nodiscard]] auto profile(std::string_view name) const -> std::optional<Profile>;
    [[nodiscard]] auto services_section(std::string_view name) const -> const IniSection*;  // "[services name]"
};

// What the command line says (the AWS CLI's flags).
struct AwsOptions {
    std::optional<std::string> profile;
    std::optional<std::string> region;
    std::optional<std::string> endpoint_url;
    // --timeout: a connection not made, or a transfer with no progress, within this time is a stall (retried).
    std::optional<std::chrono::seconds> timeout;
};

struct ProfileChoice {
    std::string name = "default";
    bool from_flag = false;        // --profile: environment credentials are then ignored
    bool explicit_choice = false;  // --profile or AWS_PROFILE: a missing profile is an error
};

// --profile, else AWS_PROFILE (then the legacy AWS_DEFAULT_PROFILE), else "default".
auto choose_profile(const AwsOptions& options, const Environment& env) -> ProfileChoice;
// An explicitly chosen profile must exist in one of the files.
auto check_profile_exists(const ProfileChoice& choice, const SharedFiles& files) -> Expected<void>;

struct Setting {
    std::string value;
    std::string source;  // "--region", "AWS_REGION", "profile dev in /home/u/.aws/config", ...
};

// --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's region.
auto resolve_region(const AwsOptions& options, const Environment& env, const SharedFiles& files,
                    const ProfileChoice& profile) -> std::optional<Setting>;

// --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services section
// ("services = name" -> [services name] -> "s3 =\n  endpoint_url = ..."), the profile's endpoint_url.
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or ignore_configured_endpoint_urls) keeps only the flag.
// service_id is the SDK service id ("s3", "sts").
auto resolve_endpoint_url(const AwsOptions& options, const Environment& env, const SharedFiles& files,
                          const ProfileChoice& profile, std::string_view service_id) -> std::optional<Setting>;

}  // namespace wheelhouse::s3
