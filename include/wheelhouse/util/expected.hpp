// Errors as values: an Error with a code, a message and an optional source location, and Expected<T>.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace wheelhouse {

// The category decides the process exit code (see cli): keep them coarse.
enum class ErrorCode {
    invalid_input,  // malformed requirement, specifier, marker, file, option: exit 1
    usage,          // wrong command-line usage: exit 1
    not_found,      // a file or object that should exist does not: exit 1
    io,             // local file system failure: exit 1
    resolution,     // no set of packages satisfies the request: exit 2
    network,        // HTTP failure after retries: exit 3
    verification,   // hash, RECORD, compatibility: exit 4
    aws,            // S3 / credentials: exit 5
    license_policy,  // a bundled licence the policy does not allow: exit 10
    advisories,      // known vulnerabilities found (audit, build --advisories): exit 11
    internal,
};

auto exit_code_for(ErrorCode code) -> int;
auto to_string(ErrorCode code) -> const char*;

// Where in the input an error was found. Lines and columns are 1-based; 0 means unknown.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    [[nodiscard]] auto to_string() const -> std::string;  // "file:line:col", omitting unknown parts
    [[nodiscard]] auto known() const -> bool { return !file.empty() || line > 0 || column > 0; }
};

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    Location location;
    std::string hint;     // what the user can do about it; may be empty
    std::string context;  // the offending text, when it helps; may be empty
    // More for -v only (what a helper program wrote on stderr), already redacted; not part of to_string().
    std::string detail = {};

    // One line: "file:line:col: message: 'context' (hint: ...)".
    [[nodiscard]] auto to_string() const -> std::string;
};

template <class E>
struct Unexpected {
    E error;
};

inline auto make_error(ErrorCode code, std::string message, Location location = {}, std::string hint = {})
    -> Unexpected<Error> {
    return {Error{code, std::move(message), std::move(location), std::move(hint), {}}};
}

inline auto unexpected(Error error) -> Unexpected<Error> {
    return {std::move(error)};
}

// A small std::expected stand-in (C++23 is not available on both of our compilers).
template <class T, class E = Error>
class [[nodiscard]] Expected {
public:
    using value_type = T;
    using error_type = E;

    Expected() requires std::is_default_constructible_v<T> : m_storage(std::in_place_index<0>) {}
    Expected(const T& value) : m_storage(std::in_place_index<0>, value) {}        // NOLINT(google-explicit-constructor)
    Expected(T&& value) : m_storage(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, Expected> &&
             !std::is_same_v<std::remove_cvref_t<U>, Unexpected<E>>) Expected(U&& value)
        : m_storage(std::in_place_index<0>, T(std::forward<U>(value))) {}                         // NOLINT
    Expected(Unexpected<E> error) : m_storage(std::in_place_index<1>, std::move(error.error)) {}  // NOLINT

    [[nodiscard]] auto has_value() const -> bool { return m_storage.index() == 0; }
    explicit operator bool() const { return has_value(); }

    auto value() & -> T& { return std::get<0>(m_storage); }
    auto value() const& -> const T& { return std::get<0>(m_storage); }
    auto value() && -> T&& { return std::get<0>(std::move(m_storage)); }
    auto operator*() & -> T& { return value(); }
    auto operator*() const& -> const T& { return value(); }
    auto operator*() && -> T&& { return std::move(*this).value(); }
    auto operator->() -> T* { return &value(); }
    auto operator->() const -> const T* { return &value(); }

    auto error() & -> E& { return std::get<1>(m_storage); }
    auto error() const& -> const E& { return std::get<1>(m_storage); }
    auto error() && -> E&& { return std::get<1>(std::move(m_storage)); }

    template <class U>
    auto value_or(U&& fallback) const& -> T {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, E> m_storage;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
public:
    Expected() = default;
    Expected(Unexpected<E> error) : m_error(std::move(error.error)) {}  // NOLINT

    [[nodiscard]] auto has_value() const -> bool { return !m_error.has_value(); }
    explicit operator bool() const { return has_value(); }
    void value() const {}
    auto error() & -> E& { return *m_error; }
    auto error() const& -> const E& { return *m_error; }
    auto error() && -> E&& { return std::move(*m_error); }

private:
    std::optional<E> m_error;
};

}  // namespace wheelhouse
