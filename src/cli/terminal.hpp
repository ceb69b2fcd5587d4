// Terminal output for the CLI: errors and logs on stderr, results on stdout, colour only on a TTY.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wheelhouse/util/expected.hpp"

namespace wheelhouse::cli {

struct OutputOptions {
    bool json = false;
    bool quiet = false;
    int verbosity = 0;
    bool color_stdout = false;  // decided once per stream: a TTY, NO_COLOR unset, no --no-color
    bool color_stderr = false;
};

class Terminal {
public:
    explicit Terminal(OutputOptions options) : m_options(options) {}

    [[nodiscard]] auto options() const -> const OutputOptions& { return m_options; }
    [[nodiscard]] auto json() const -> bool { return m_options.json; }

    // Human-readable result text on stdout (suppressed with --json, where only the JSON is printed).
    void out(std::string_view text) const;
    // The --json document, pretty-printed, on stdout.
    void out_json(const nlohmann::json& document) const;
    // Diagnostics on stderr.
    void info(std::string_view text) const;
    void warn(std::string_view text) const;
    void error(const Error& error) const;

    // Styling for text printed with out() (stdout).
    [[nodiscard]] auto bold(std::string_view text) const -> std::string;
    [[nodiscard]] auto green(std::string_view text) const -> std::string;
    [[nodiscard]] auto red(std::string_view text) const -> std::string;
    [[nodiscard]] auto dim(std::string_view text) const -> std::string;

    static auto detect(bool json, bool quiet, int verbosity, bool no_color_flag) -> OutputOptions;

private:
    static auto paint(bool enabled, std::string_view code, std::string_view text) -> std::string;
    OutputOptions m_options;
};

// What to do about an error that carries no hint of its own, by category (every printed error has one).
auto fallback_hint(ErrorCode code) -> std::string_view;

// Error as JSON for --json output: {"code", "message", "location", "hint", "exit_code"}.
auto error_to_json(const Error& error) -> nlohmann::json;

}  // namespace wheelhouse::cli
