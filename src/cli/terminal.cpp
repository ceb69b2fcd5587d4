#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::cli {

auto fallback_hint(ErrorCode code) -> std::string_view {
    switch (code) {
        case ErrorCode::invalid_input: return "correct the input at the place shown and run the command again";
        case ErrorCode::usage: return "see the command's --help for its options and examples";
        case ErrorCode::not_found: return "check the path or name shown: it must exist and be readable";
        case ErrorCode::io: return "check that the folder shown exists and is writable, and that the disk is not full";
        case ErrorCode::resolution:
            return "change the requirements or constraints shown, or check that the index has the versions they need";
        case ErrorCode::network:
            return "check the URL, the network and the proxy settings (HTTPS_PROXY, NO_PROXY); --timeout sets how "
                   "long a stalled transfer waits";
        case ErrorCode::verification:
            return "the bytes are not the ones expected: check the index or mirror that served them; "
                   "'wheelhouse cache clean' empties the local cache";
        case ErrorCode::aws:
            return "check the credentials ('aws sts get-caller-identity'), the region, the bucket name and the bucket "
                   "policy";
        case ErrorCode::license_policy:
            return "the packages shown are under licences the policy does not allow: change the requirements, or the "
                   "policy (--allow/--deny/--license-policy) if the licence is acceptable";
        case ErrorCode::advisories:
            return "upgrade the packages shown to a fixed version where the target allows it; --ignore ID accepts one "
                   "advisory, --fail-on none reports without failing";
        case ErrorCode::internal: break;
    }
    return "this is a bug in wheelhouse: please report it with the command line and the output of -vv";
}

namespace {
// Control characters from the input (a NUL would cut the line short, an escape sequence would restyle the
// terminal) are shown as \xNN; new lines and tabs stay.
auto printable(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7F) {
            out += fmt::format("\\x{:02X}", byte);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

auto hint_of(const Error& error) -> std::string {
    return error.hint.empty() ? std::string(fallback_hint(error.code)) : error.hint;
}
}  // namespace

auto Terminal::detect(bool json, bool quiet, int verbosity, bool no_color_flag) -> OutputOptions {
    OutputOptions o;
    o.json = json;
    o.quiet = quiet;
    o.verbosity = verbosity;
    const char* no_color = std::getenv("NO_COLOR");
    bool no_color_env = no_color != nullptr && no_color[0] != '\0';
    bool allowed = !no_color_flag && !no_color_env;
    o.color_stdout = allowed && ::isatty(STDOUT_FILENO) == 1;
    o.color_stderr = allowed && ::isatty(STDERR_FILENO) == 1;
    return o;
}

void Terminal::out(std::string_view text) const {
    if (m_options.json) return;
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
}

void Terminal::out_json(const nlohmann::json& document) const {
    auto text = document.dump(2);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

void Terminal::info(std::string_view text) const {
    if (m_options.quiet) return;
    std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
}

void Terminal::warn(std::string_view text) const {
    std::fprintf(stderr, "%s %.*s\n", paint(m_options.color_stderr, "33", "warning:").c_str(),
                 static_cast<int>(text.size()), text.data());
}

void Terminal::error(const Error& error) const {
    Error shown = error;
    shown.hint = hint_of(error);
    // Input of any size can end up quoted in a message: keep every line readable.
    std::string message;
    for (const auto line : util::split(error.message, '\n')) {
        if (!message.empty()) message += '\n';
        message += util::elide(line, 1000);
    }
    shown.message = std::move(message);
    shown.context = util::elide(error.context, 300);
    const auto text = printable(shown.to_string());
    std::fprintf(stderr, "%s %s\n", paint(m_options.color_stderr, "31;1", "error:").c_str(), text.c_str());
    if (m_options.verbosity > 0 && !error.detail.empty()) {
        std::fprintf(stderr, "  %s\n", printable(util::elide(error.detail, 2000)).c_str());
    }
}

auto Terminal::paint(bool enabled, std::string_view code, std::string_view text) -> std::string {
    if (!enabled) return std::string(text);
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

auto Terminal::bold(std::string_view text) const -> std::string {
    return paint(m_options.color_stdout, "1", text);
}
auto Terminal::green(std::string_view text) const -> std::string {
    return paint(m_options.color_stdout, "32", text);
}
auto Terminal::red(std::string_view text) const -> std::string {
    return paint(m_options.color_stdout, "31", text);
}
auto Terminal::dim(std::string_view text) const -> std::string {
    return paint(m_options.color_stdout, "2", text);
}

auto error_to_json(const Error& error) -> nlohmann::json {
    nlohmann::json j;
    j["code"] = to_string(error.code);
    j["message"] = error.message.size() > 100000 ? util::elide(error.message, 100000) : error.message;
    if (error.location.known()) j["location"] = error.location.to_string();
    j["hint"] = hint_of(error);
    j["exit_code"] = exit_code_for(error.code);
    return j;
}

}  // namespace wheelhouse::cli
