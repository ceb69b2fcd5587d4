#include "wheelhouse/util/hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace wheelhouse::util {

auto to_hex(const unsigned char* data, std::size_t size) -> std::string {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 0x0F]);
    }
    return out;
}

struct Sha256::Impl {
    EVP_MD_CTX* ctx = nullptr;
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
    m_impl->ctx = EVP_MD_CTX_new();
    // Allocation failure of a few bytes is not a recoverable condition for a hashing helper.
    if (m_impl->ctx == nullptr || EVP_DigestInit_ex(m_impl->ctx, EVP_sha256(), nullptr) != 1) std::terminate();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
auto Sha256::operator=(Sha256&&) noexcept -> Sha256& = default;

void Sha256::update(const void* data, std::size_t size) {
    EVP_DigestUpdate(m_impl->ctx, data, size);
}
void Sha256::update(std::string_view bytes) {
    update(bytes.data(), bytes.size());
}

auto Sha256::finish() -> std::array<unsigned char, 32> {
    std::array<unsigned char, 32> out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_impl->ctx, out.data(), &len);
    return out;
}

auto Sha256::finish_hex() -> std::string {
    auto digest = finish();
    return to_hex(digest.data(), digest.size());
}

auto sha256_hex(std::string_view bytes) -> std::string {
    Sha256 h;
    h.update(bytes);
    return h.finish_hex();
}

auto hmac_sha256(std::string_view key, std::string_view data) -> std::array<unsigned char, 32> {
    std::array<unsigned char, 32> out{};
    unsigned int len = 0;
    // HMAC() never fails for SHA-256 with in-memory buffers short of an allocation failure.
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len) == nullptr) {
        std::terminate();
    }
    return out;
}

}  // namespace wheelhouse::util
