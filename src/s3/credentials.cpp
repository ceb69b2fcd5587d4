#include "wheelhouse/s3/credentials.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {
namespace {

// Static keys in one INI section; both halves or neither.
auto credentials_from_section(const IniSection* section, std::string_view file, std::string source)
    -> Expected<std::optional<Credentials>> {
    if (section == nullptr) return std::optional<Credentials>{};
    auto get = [&](std::string_view key) -> std::optional<std::string> {
        auto it = section->values.find(key);
        if (it == section->values.end() || it->second.value.empty()) return std::nullopt;
        return it->second.value;
    };
    auto access = get("aws_access_key_id");
    auto secret = get("aws_secret_access_key");
    if (!access && !secret) return std::optional<Credentials>{};
    if (!access || !secret) {
        return make_error(
            ErrorCode::aws,
            fmt::format("[{}] in {} has {} but not {}", section->name, file,
                        access ? "aws_access_key_id" : "aws_secret_access_key",
                        access ? "aws_secret_access_key" : "aws_access_key_id"),
            Location{std::string(file), section->line, 0},
            fmt::format("set both aws_access_key_id and aws_secret_access_key in [{}], or remove both", section->name));
    }
    Credentials c;
    c.access_key_id = *access;
    c.secret_access_key = util::Secret(*secret);
    if (auto token = get("aws_session_token")) {
        c.session_token = util::Secret(*token);
    } else if (auto legacy = get("aws_security_token")) {
        c.session_token = util::Secret(*legacy);
    }
    c.source = std::move(source);
    return std::optional<Credentials>(std::move(c));
}

class EnvironmentProvider final : public CredentialProvider {
public:
    explicit EnvironmentProvider(Environment env) : m_env(std::move(env)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "environment"; }
    auto load() -> Expected<std::optional<Credentials>> override {
        auto access = m_env.get("AWS_ACCESS_KEY_ID");
        auto secret = m_env.get("AWS_SECRET_ACCESS_KEY");
        if (!access && !secret) return std::optional<Credentials>{};
        if (!access || !secret) {
            return make_error(
                ErrorCode::aws,
                fmt::format("{} is set but {} is not", access ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            access ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"),
                {}, "set both variables, or unset both to use a profile");
        }
        Credentials c;
        c.access_key_id = *access;
        c.secret_access_key = util::Secret(*secret);
        if (auto token = m_env.get("AWS_SESSION_TOKEN")) {
            c.session_token = util::Secret(*token);
        } else if (auto legacy = m_env.get("AWS_SECURITY_TOKEN")) {
            c.session_token = util::Secret(*legacy);
        }
        if (auto expiry = m_env.get("AWS_CREDENTIAL_EXPIRATION")) c.expiration = parse_iso8601(*expiry);
        c.source = "environment";
        return std::optional<Credentials>(std::move(c));
    }

private:
    Environment m_env;
};

class SharedCredentialsProvider final : public CredentialProvider {
public:
    SharedCredentialsProvider(SharedFiles files, std::string profile)
        : m_files(std::move(files)), m_profile(std::move(profile)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "shared-credentials-file"; }
    auto load() -> Expected<std::optional<Credentials>> override {
        return credentials_from_section(
            m_files.credentials_section(m_profile), m_files.credentials_path.string(),
            fmt::format("profile '{}' in {}", m_profile, m_files.credentials_path.string()));
    }

private:
    SharedFiles m_files;
    std::string m_profile;
};

class ConfigFileProvider final : public CredentialProvider {
public:
    ConfigFileProvider(SharedFiles files, std::string profile)
        : m_files(std::move(files)), m_profile(std::move(profile)) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "config-file"; }
    auto load() -> Expected<std::optional<Credentials>> override {
        return credentials_from_section(m_files.config_section(m_profile), m_files.config_path.string(),
                                        fmt::format("profile '{}' in {}", m_profile, m_files.config_path.string()));
    }

private:
    SharedFiles m_files;
    std::string m_profile;
};

class ProcessProvider final : public CredentialProvider {
public:
    ProcessProvider(SharedFiles files, std::string profile, std::chrono::milliseconds timeout)
        : m_files(std::move(files)), m_profile(std::move(profile)), m_timeout(timeout) {}
    [[nodiscard]] auto name() const -> std::string_view override { return "credential_process"; }
    auto load() -> Expected<std::optional<Credentials>> override {
        auto profile = m_files.profile(m_profile);
        if (!profile) return std::optional<Credentials>{};
        auto command = profile->get("credential_process");
        if (!command || util::trim(*command).empty()) return std::optional<Credentials>{};
        auto creds = run_credential_process(*command, m_timeout);
        if (!creds) {
            auto error = std::move(creds).error();
            error.message = fmt::format("credential_process of profile '{}': {}", m_profile, error.message);
            // Where the command is configured; never the command line itself, its arguments may carry tokens.
            const auto where = fmt::format("the credential_process line of profile '{}' in {}", m_profile,
                                           m_files.config_path.string());
            error.hint =
                fmt::format("{} (the command is {})",
                            error.hint.empty() ? "run the command yourself to see its error" : error.hint, where);
            return unexpected(std::move(error));
        }
        creds->source = fmt::format("credential_process of profile '{}'", m_profile);
        return std::optional<Credentials>(std::move(*creds));
    }

private:
    SharedFiles m_files;
    std::string m_profile;
    std::chrono::milliseconds m_timeout;
};

auto days_from_civil(std::int64_t y, unsigned m, unsigned d) -> std::int64_t {
    // Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar.
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

auto make_environment_provider(Environment env) -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<EnvironmentProvider>(std::move(env));
}
auto make_shared_credentials_provider(SharedFiles files, std::string profile) -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<SharedCredentialsProvider>(std::move(files), std::move(profile));
}
auto make_config_file_provider(SharedFiles files, std::string profile) -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<ConfigFileProvider>(std::move(files), std::move(profile));
}
auto make_process_provider(SharedFiles files, std::string profile, std::chrono::milliseconds timeout)
    -> std::unique_ptr<CredentialProvider> {
    return std::make_unique<ProcessProvider>(std::move(files), std::move(profile), timeout);
}

CredentialChain::CredentialChain(std::vector<std::unique_ptr<CredentialProvider>> providers) {
    for (auto& p : providers) m_providers.emplace_back(std::move(p));
}

auto CredentialChain::resolve() -> Expected<Credentials> {
    auto source = resolve_source();
    if (!source) return unexpected(std::move(source).error());
    return (*source)->get();
}

auto CredentialChain::resolve_source(RefreshPolicy policy) -> Expected<std::shared_ptr<CredentialSource>> {
    for (auto& provider : m_providers) {
        auto result = provider->load();
        if (!result) return unexpected(std::move(result).error());
        if (!*result) continue;
        if (!(*result)->expiration) return CredentialSource::fixed(std::move(**result));
        return std::make_shared<CredentialSource>(std::move(**result), provider, std::move(policy));
    }
    return make_error(ErrorCode::aws, "no AWS credentials found", {},
                      fmt::format("looked in: {}; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile",
                                  util::join(provider_names(), ", ")));
}

// ---- CredentialSource ----

auto CredentialSource::fixed(Credentials credentials) -> std::shared_ptr<CredentialSource> {
    return std::make_shared<CredentialSource>(std::move(credentials), nullptr);
}

CredentialSource::CredentialSource(Credentials initial, std::shared_ptr<CredentialProvider> provider,
                                   RefreshPolicy policy)
    : m_current(std::move(initial)), m_provider(std::move(provider)), m_policy(std::move(policy)) {
    m_obtained = m_policy.now();
    m_next_attempt = m_obtained;
}

namespace {

struct Windows {
    std::chrono::system_clock::duration advisory;
    std::chrono::system_clock::duration mandatory;
    std::chrono::system_clock::duration retry_gap;
};

// The policy's windows for credentials that lived `lifetime` when they were obtained.
auto windows_for(const RefreshPolicy& policy, std::chrono::system_clock::duration lifetime) -> Windows {
    using D = std::chrono::system_clock::duration;
    const D life = std::max(lifetime, D::zero());
    return {std::min<D>(policy.advisory, life / 2), std::min<D>(policy.mandatory, life / 4),
            std::min<D>(policy.retry_gap, life / 12)};
}

auto format_utc(std::chrono::system_clock::time_point t) -> std::string {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    const std::time_t tt = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

}  // namespace

// Asks the provider again; true when it gave credentials that last longer than the current ones.
auto CredentialSource::load_locked() -> Expected<bool> {
    auto loaded = m_provider->load();
    if (!loaded) return unexpected(std::move(loaded).error());
    if (!*loaded) {
        return make_error(ErrorCode::aws,
                          fmt::format("the credential source {} no longer has credentials", m_provider->name()), {},
                          "check the source of the credentials, then run the command again");
    }
    Credentials& fresh = **loaded;
    const auto now = m_policy.now();
    const bool newer = !fresh.expiration || !m_current.expiration || *fresh.expiration > *m_current.expiration ||
                       fresh.access_key_id != m_current.access_key_id;
    if (!newer) return false;
    m_current = std::move(fresh);
    m_obtained = now;
    m_next_attempt = now;
    ++m_renewals;
    return true;
}

auto CredentialSource::get() -> Expected<Credentials> {
    std::lock_guard lock(m_mutex);
    if (!m_provider || !m_current.expiration) return m_current;
    const auto now = m_policy.now();
    auto expiry = *m_current.expiration;
    auto w = windows_for(m_policy, expiry - m_obtained);
    if (now + w.advisory < expiry) return m_current;
    const bool mandatory = now + w.mandatory >= expiry;
    if (!mandatory && now < m_next_attempt) return m_current;
    auto renewed = load_locked();
    if (!renewed || !*renewed) {
        // Failed, or the provider has nothing newer yet (IMDS hands out new credentials some minutes before the
        // old expire): keep what is still valid and ask again after the gap.
        m_next_attempt = now + w.retry_gap;
        if (now + w.mandatory < expiry) return m_current;
        if (!renewed) {
            auto e = std::move(renewed).error();
            e.message = fmt::format("the credentials from {} expire at {} and could not be renewed: {}",
                                    m_current.source, format_utc(expiry), e.message);
            return unexpected(std::move(e));
        }
        if (now >= expiry) {
            return make_error(ErrorCode::aws,
                              fmt::format("the credentials from {} expired at {} and {} gave no newer ones",
                                          m_current.source, format_utc(expiry), m_provider->name()),
                              {}, "check the source of the credentials, then run the command again");
        }
    }
    return m_current;
}

auto CredentialSource::renew_after_rejection(const Credentials& rejected) -> bool {
    std::lock_guard lock(m_mutex);
    if (!m_provider) return false;
    if (m_current.access_key_id != rejected.access_key_id ||
        m_current.session_token.reveal() != rejected.session_token.reveal()) {
        return true;  // renewed meanwhile by another request
    }
    auto renewed = load_locked();
    return renewed && *renewed;
}

auto CredentialSource::renewals() const -> int {
    std::lock_guard lock(m_mutex);
    return m_renewals;
}

auto CredentialChain::provider_names() const -> std::vector<std::string> {
    std::vector<std::string> names;
    names.reserve(m_providers.size());
    for (const auto& p : m_providers) names.emplace_back(p->name());
    return names;
}

auto make_default_chain(const Environment& env, const SharedFiles& files, const ProfileChoice& profile,
                        NetworkProviders network, std::chrono::milliseconds process_timeout) -> CredentialChain {
    std::vector<std::unique_ptr<CredentialProvider>> chain;
    // An explicit --profile means "use this profile": the AWS CLI then ignores credentials in the environment.
    if (!profile.from_flag) chain.push_back(make_environment_provider(env));
    if (network.assume_role) chain.push_back(std::move(network.assume_role));
    if (network.web_identity) chain.push_back(std::move(network.web_identity));
    chain.push_back(make_shared_credentials_provider(files, profile.name));
    chain.push_back(make_process_provider(files, profile.name, process_timeout));
    chain.push_back(make_config_file_provider(files, profile.name));
    if (network.container) chain.push_back(std::move(network.container));
    if (network.instance_metadata) chain.push_back(std::move(network.instance_metadata));
    return CredentialChain(std::move(chain));
}

auto split_command_line(std::string_view command) -> Expected<std::vector<std::string>> {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        if (c == '\'') {
            const auto close = command.find('\'', i + 1);
            if (close == std::string_view::npos) {
                return make_error(ErrorCode::invalid_input, "credential_process has an unclosed single quote",
                                  Location{{}, 0, static_cast<int>(i) + 1}, "close the quote");
            }
            word.append(command.substr(i + 1, close - i - 1));
            in_word = true;
            i = close;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (;; ++j) {
                if (j >= command.size()) {
                    return make_error(ErrorCode::invalid_input, "credential_process has an unclosed double quote",
                                      Location{{}, 0, static_cast<int>(i) + 1}, "close the quote");
                }
                if (command[j] == '"') break;
                // Inside double quotes a backslash only escapes '"' and '\' (POSIX shlex rules).
                if (command[j] == '\\' && j + 1 < command.size() && (command[j + 1] == '"' || command[j + 1] == '\\')) {
                    ++j;
                }
                word.push_back(command[j]);
            }
            in_word = true;
            i = j;
        } else if (c == '\\') {
            if (i + 1 >= command.size()) {
                return make_error(ErrorCode::invalid_input, "credential_process ends with a lone backslash",
                                  Location{{}, 0, static_cast<int>(i) + 1},
                                  "remove the backslash, or write \\\\ for a literal one");
            }
            word.push_back(command[++i]);
            in_word = true;
        } else if (util::is_ascii_space(c)) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    if (words.empty()) {
        return make_error(ErrorCode::invalid_input, "credential_process is empty", {},
                          "set it to the command that prints the credentials, or remove the line");
    }
    return words;
}

auto parse_process_credentials(std::string_view text) -> Expected<Credentials> {
    auto fail = [](std::string message) {
        return make_error(ErrorCode::aws, std::move(message), {},
                          "the command must print {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ...}");
    };
    const auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (json.is_discarded() || !json.is_object()) return fail("its output is not a JSON object");
    const auto version = json.find("Version");
    if (version == json.end()) return fail("its output has no \"Version\"");
    if (!version->is_number_integer() || version->get<std::int64_t>() != 1) {
        return fail(fmt::format("unsupported \"Version\" {} (only 1 is supported)", version->dump()));
    }
    auto string_field = [&](const char* key) -> std::optional<std::string> {
        auto it = json.find(key);
        if (it == json.end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    auto access = string_field("AccessKeyId");
    auto secret = string_field("SecretAccessKey");
    if (!access || access->empty()) return fail("its output has no string \"AccessKeyId\"");
    if (!secret || secret->empty()) return fail("its output has no string \"SecretAccessKey\"");
    Credentials c;
    c.access_key_id = *access;
    c.secret_access_key = util::Secret(*secret);
    if (auto token = string_field("SessionToken")) c.session_token = util::Secret(*token);
    if (auto expiration = json.find("Expiration"); expiration != json.end() && !expiration->is_null()) {
        if (!expiration->is_string()) return fail("its \"Expiration\" is not a string");
        const auto text_value = expiration->get<std::string>();
        c.expiration = parse_iso8601(text_value);
        if (!c.expiration) return fail(fmt::format("its \"Expiration\" '{}' is not an ISO 8601 time", text_value));
    }
    c.source = "credential_process";
    return c;
}

auto parse_iso8601(std::string_view text) -> std::optional<std::chrono::system_clock::time_point> {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM); 't', 'z' and ' ' accepted as RFC 3339 allows.
    auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<unsigned> {
        if (pos + n > text.size()) return std::nullopt;
        unsigned v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (!util::is_ascii_digit(text[i])) return std::nullopt;
            v = v * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return v;
    };
    const auto year = digits(0, 4);
    const auto month = digits(5, 2);
    const auto day = digits(8, 2);
    const auto hour = digits(11, 2);
    const auto minute = digits(14, 2);
    const auto second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    static constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*month < 1 || *month > 12 || *day < 1 || *day > month_days[*month - 1] ||
        (*month == 2 && *day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const auto start = pos;
        while (pos < text.size() && util::is_ascii_digit(text[pos])) ++pos;
        if (pos == start) return std::nullopt;
    }
    std::int64_t offset_seconds = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const auto oh = digits(pos + 1, 2);
        const auto om = digits(pos + 4, 2);
        if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
        offset_seconds = static_cast<std::int64_t>(*oh) * 3600 + static_cast<std::int64_t>(*om) * 60;
        if (text[pos] == '-') offset_seconds = -offset_seconds;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    const auto days = days_from_civil(static_cast<std::int64_t>(*year), *month, *day);
    const std::int64_t seconds = days * 86400 + static_cast<std::int64_t>(*hour) * 3600 +
                                 static_cast<std::int64_t>(*minute) * 60 + static_cast<std::int64_t>(*second) -
                                 offset_seconds;
    // The clock counts nanoseconds in 64 bits (years 1677 to 2262): a time outside saturates to the clock's
    // end, which reads as "never expires" (or "long expired") instead of overflowing.
    using Clock = std::chrono::system_clock;
    const auto limit = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count() - 1;
    if (seconds >= limit) return Clock::time_point::max();
    if (seconds <= -limit) return Clock::time_point::min();
    return Clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace wheelhouse::s3
