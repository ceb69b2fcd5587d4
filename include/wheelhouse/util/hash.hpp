// Streaming SHA-256 (OpenSSL EVP) and hex encoding.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wheelhouse::util {

auto to_hex(const unsigned char* data, std::size_t size) -> std::string;

// Feed bytes as they arrive; finish() once. Hashes are computed while data streams, never in a second pass.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    auto operator=(const Sha256&) -> Sha256& = delete;
    Sha256(Sha256&&) noexcept;
    auto operator=(Sha256&&) noexcept -> Sha256&;

    void update(std::string_view bytes);
    void update(const void* data, std::size_t size);
    auto finish() -> std::array<unsigned char, 32>;
    auto finish_hex() -> std::string;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

auto sha256_hex(std::string_view bytes) -> std::string;

// HMAC-SHA256 of data under key (both raw bytes): the building block of AWS SigV4 signing keys.
auto hmac_sha256(std::string_view key, std::string_view data) -> std::array<unsigned char, 32>;

}  // namespace wheelhouse::util
