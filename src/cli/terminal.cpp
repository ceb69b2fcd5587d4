#include "terminal.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace wheelhouse::cli {

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
    std::fprintf(stderr, "%s %s\n", paint(m_options.color_stderr, "31;1", "error:").c_str(), error.to_string().c_str());
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
    j["message"] = error.message;
    if (error.location.known()) j["location"] = error.location.to_string();
    if (!error.hint.empty()) j["hint"] = error.hint;
    j["exit_code"] = exit_code_for(error.code);
    return j;
}

}  // namespace wheelhouse::cli
