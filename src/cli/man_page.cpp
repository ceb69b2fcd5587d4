// wheelhouse(1) in roff, written from the CommandDoc tree: commands, options and examples come from the app that
// parses them; only the prose that the app does not hold (environment, files) is kept here.
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "app.hpp"
#include "reference.hpp"

namespace wheelhouse::cli {
namespace {

// Text for roff: backslashes, minus signs, control characters at a line start, and non-ASCII as \[uXXXX]
// (groff reads its input as Latin-1 unless told otherwise).
auto roff(std::string_view text) -> std::string {
    std::string out;
    bool line_start = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        line_start = c == '\n';
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else if (c >= 0x80) {
            unsigned length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            unsigned code = length == 1 ? c : c & (0xFFu >> (length + 1));
            for (unsigned k = 1; k < length && i + 1 < text.size(); ++k) {
                code = (code << 6) | (static_cast<unsigned char>(text[++i]) & 0x3Fu);
            }
            out += fmt::format("\\[u{:04X}]", code);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

auto bold(std::string_view text) -> std::string {
    return "\\fB" + roff(text) + "\\fR";
}
auto italic(std::string_view text) -> std::string {
    return "\\fI" + roff(text) + "\\fR";
}

auto option_label(const OptionDoc& option) -> std::string {
    if (!option.positional.empty()) return italic(option.positional);
    std::string out;
    for (const auto& flag : option.flags) out += (out.empty() ? "" : ", ") + bold(flag);
    if (option.value != ValueKind::none) {
        std::string value = option.type_name;
        if (option.value == ValueKind::choice) {
            value.clear();
            for (const auto& choice : option.choices) value += (value.empty() ? "" : "|") + choice;
        }
        out += " " + italic(value);
    }
    return out;
}

auto is_help(const OptionDoc& option) -> bool {
    return !option.flags.empty() && option.flags.back() == "--help";
}

auto starts_topic(std::string_view line) -> bool {
    auto colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0 || line.front() < 'A' || line.front() > 'Z') return false;
    return line.substr(0, colon).find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ") ==
           std::string_view::npos;
}

auto synopsis(const CommandDoc& command) -> std::string {
    std::string out = bold("wheelhouse " + command.name());
    if (!command.subcommands.empty()) {
        std::string names;
        for (const auto& sub : command.subcommands) names += (names.empty() ? "" : "|") + sub.path.back();
        out += " " + roff(names);
    }
    out += " [" + italic("options") + "]";
    for (const auto& option : command.options) {
        if (option.positional.empty()) continue;
        out += option.required ? " " + italic(option.positional) : " [" + italic(option.positional) + "]";
    }
    return out + "\n";
}

void write_command(const CommandDoc& command, std::string& out) {
    out += ".SS \"" + roff("wheelhouse " + command.name()) + "\"\n";
    out += roff(command.description) + ".\n";
    if (!command.footer.empty()) {
        bool paragraph = true;
        for (std::string_view rest = command.footer; !rest.empty();) {
            auto end = rest.find('\n');
            auto line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            // The footers are wrapped by hand; a blank line or one opening with "Topic: " starts a paragraph.
            if (line.empty()) {
                paragraph = true;
                continue;
            }
            if (std::exchange(paragraph, false) || starts_topic(line)) out += ".PP\n";
            out += roff(line) + "\n";
        }
    }
    bool first = true;
    for (const auto& option : command.options) {
        if (option.positional.empty()) continue;
        if (std::exchange(first, false)) out += ".PP\nArguments:\n";
        out += ".TP\n" + option_label(option) + "\n" + roff(option.description) + "\n";
    }
    std::string group = "-";
    for (const auto& option : command.options) {
        if (is_help(option) || option.group == output_group || !option.positional.empty()) continue;
        if (option.group != group) {
            group = option.group;
            out += ".PP\n" + roff(group.empty() ? "Options" : group + " options") + ":\n";
        }
        out += ".TP\n" + option_label(option) + "\n" + roff(option.description) + "\n";
    }
    for (const auto& sub : command.subcommands) write_command(sub, out);
}

// Where the program's footer (the exit codes) is "  N  meaning" lines.
void write_exit_status(std::string& out) {
    std::string_view rest = exit_codes_help;
    while (!rest.empty()) {
        auto end = rest.find('\n');
        auto line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        auto start = line.find_first_not_of(' ');
        if (start == std::string_view::npos || line[start] < '0' || line[start] > '9') continue;
        auto gap = line.find(' ', start);
        if (gap == std::string_view::npos) continue;
        auto meaning = line.substr(line.find_first_not_of(' ', gap));
        out += ".TP\n" + bold(line.substr(start, gap - start)) + "\n" + roff(meaning) + "\n";
    }
}

struct Entry {
    const char* name;
    const char* meaning;
};

constexpr std::array environment{
    Entry{"WHEELHOUSE_CACHE_DIR",
          "The wheel and page cache (default $XDG_CACHE_HOME/wheelhouse, else ~/.cache/wheelhouse)."},
    Entry{"PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX",
          "Package index settings as pip reads them; command-line flags take precedence."},
    Entry{"SSL_CERT_FILE, REQUESTS_CA_BUNDLE", "CA bundle for TLS verification when --cert is not given."},
    Entry{"HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY", "Proxies (the lower-case spellings too)."},
    Entry{"NETRC", "Index credentials file (default ~/.netrc)."},
    Entry{"SOURCE_DATE_EPOCH", "Timestamp of the files in plugins.zip, for reproducible builds."},
    Entry{"NO_COLOR", "No colours in the output."},
    Entry{"AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_REGION, AWS_DEFAULT_REGION",
          "Profile and region for deploy and mirror, as the AWS CLI reads them."},
    Entry{"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN", "Static credentials."},
    Entry{"AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE", "The shared config and credentials files."},
    Entry{"AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, AWS_CA_BUNDLE",
          "The S3 endpoint and its CA bundle."},
    Entry{"AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_SESSION_NAME",
          "Web identity (e.g. GitHub Actions OIDC)."},
    Entry{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI, "
          "AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
          "Container credentials (ECS, CodeBuild, EKS Pod Identity)."},
    Entry{"AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT",
          "The EC2 instance metadata service (IMDSv2)."},
};

constexpr std::array files{
    Entry{"~/.cache/wheelhouse/", "The content-addressed wheel cache, shared safely between processes."},
    Entry{"~/.netrc", "Credentials for package indexes."},
    Entry{"~/.aws/config, ~/.aws/credentials", "AWS profiles, as the AWS CLI uses them."},
    Entry{"wheelhouse.lock.json", "The lock file lock writes and build --locked reads."},
    Entry{"dist/", "What build writes: plugins.zip, requirements.txt, constraints.txt, build-report.json."},
};

void write_entries(const auto& entries, std::string& out) {
    for (const auto& entry : entries) out += ".TP\n" + bold(entry.name) + "\n" + roff(entry.meaning) + "\n";
}

void write_examples(const CommandDoc& command, std::string& out) {
    for (const auto& example : command.examples) out += ".PP\n.nf\n.RS 4\n" + roff(example) + "\n.RE\n.fi\n";
    for (const auto& sub : command.subcommands) write_examples(sub, out);
}

}  // namespace

auto man_page(const CommandDoc& program) -> std::string {
    std::string out = ".\\\" wheelhouse(1), generated by `wheelhouse man` from the binary's own options.\n";
    out += fmt::format(".TH WHEELHOUSE 1 \"\" \"wheelhouse {}\" \"User Commands\"\n", WHEELHOUSE_VERSION);
    // Left-aligned and unhyphenated: option names and paths must not break.
    out += ".nh\n.ad l\n";
    out += ".SH NAME\nwheelhouse \\- package Python dependencies for Amazon MWAA private\\-network environments\n";

    out += ".SH SYNOPSIS\n.nf\n" + bold("wheelhouse") + " [" + bold("--version") + "] [" + bold("-h") + "|" +
           bold("--help") + "]\n";
    for (const auto& command : program.subcommands) out += synopsis(command);
    out += ".fi\n";

    out += ".SH DESCRIPTION\n" +
           roff(
               "Amazon MWAA environments in private network mode cannot reach PyPI, so every Python dependency must "
               "already sit in plugins.zip as a wheel built for MWAA's Python and platform, and requirements.txt must "
               "tell pip to install from there.\n") +
           bold("wheelhouse") +
           roff(
               " resolves, fetches, verifies, bundles and deploys those dependencies for the exact MWAA target, and "
               "proves offline that pip will install the bundle.\n") +
           ".PP\n" +
           roff(
               "Every command prints --help with examples. Results go to stdout, logs and errors to "
               "stderr.\n");

    out += ".SH COMMANDS\n";
    for (const auto& command : program.subcommands) write_command(command, out);

    // The output flags every command but completion takes, documented once.
    const CommandDoc* with_output = nullptr;
    std::string takers;
    for (const auto& command : program.subcommands) {
        for (const auto& option : command.options) {
            if (option.group != output_group) continue;
            if (with_output == nullptr) with_output = &command;
            takers += (takers.empty() ? "" : ", ") + command.name();
            break;
        }
    }
    if (with_output != nullptr) {
        out += ".SH OUTPUT OPTIONS\n" + roff("Accepted by " + takers + ".\n");
        for (const auto& option : with_output->options) {
            if (option.group == output_group)
                out += ".TP\n" + option_label(option) + "\n" + roff(option.description) + "\n";
        }
    }

    out += ".SH EXIT STATUS\n";
    write_exit_status(out);
    out += ".SH ENVIRONMENT\n";
    write_entries(environment, out);
    out += ".SH FILES\n";
    write_entries(files, out);
    out += ".SH EXAMPLES\n";
    write_examples(program, out);
    out += ".SH SEE ALSO\n" + bold("pip") + "(1), " + bold("aws") + "(1)\n";
    return out;
}

}  // namespace wheelhouse::cli
