#include "wheelhouse/util/crc64.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace wheelhouse::util {
namespace {

// The polynomial bit-reflected (a reflected CRC keeps the coefficient of x^63 in bit 0).
constexpr std::uint64_t k_poly = 0x9A6C9329AC4BC9B5ULL;

struct Tables {
    std::array<std::array<std::uint64_t, 256>, 8> slice{};
    // Folding constants for carry-less multiplication: [distance][0] multiplies the low (earlier) qword.
    std::array<std::array<std::uint64_t, 2>, 9> fold{};
    bool clmul = false;
};

// x^n mod P, reflected (coefficient of x^63 in bit 0).
auto x_pow_mod(unsigned n) -> std::uint64_t {
    // Start from x^0 = 1 (bit 63 in the reflected form) and multiply by x n times.
    std::uint64_t v = 1ULL << 63;
    for (unsigned i = 0; i < n; ++i) v = (v & 1U) != 0 ? (v >> 1) ^ k_poly : v >> 1;
    return v;
}

auto cpu_has_clmul() -> bool {
#if defined(__x86_64__)
    unsigned a = 0;
    unsigned b = 0;
    unsigned c = 0;
    unsigned d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
    return (c & bit_PCLMUL) != 0 && (c & bit_SSE4_1) != 0;
#else
    return false;
#endif
}

auto make_tables() -> Tables {
    Tables t;
    for (unsigned i = 0; i < 256; ++i) {
        std::uint64_t crc = i;
        for (int k = 0; k < 8; ++k) crc = (crc & 1U) != 0 ? (crc >> 1) ^ k_poly : crc >> 1;
        t.slice[0][i] = crc;
    }
    for (unsigned i = 0; i < 256; ++i) {
        for (std::size_t s = 1; s < 8; ++s) {
            const auto prev = t.slice[s - 1][i];
            t.slice[s][i] = (prev >> 8) ^ t.slice[0][prev & 0xFFU];
        }
    }
    // A 128-bit block A = A_hi x^64 + A_lo moved F bits later is A_hi x^(F+64) + A_lo x^F (mod P). A carry-less
    // product of two reflected qwords comes out one bit short of the reflected 128-bit product, which the
    // constants absorb by being x^(F+63) and x^(F-1).
    for (unsigned lanes = 1; lanes <= 8; ++lanes) {
        const unsigned f = 128 * lanes;
        t.fold[lanes] = {x_pow_mod(f + 63), x_pow_mod(f - 1)};
    }
    t.clmul = cpu_has_clmul();
    return t;
}

auto tables() -> const Tables& {
    static const Tables t = make_tables();
    return t;
}

auto load64(const unsigned char* p) -> std::uint64_t {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);  // little-endian host (x86-64, aarch64)
    return v;
}

auto table_update(std::uint64_t crc, const unsigned char* p, std::size_t n) -> std::uint64_t {
    const auto& t = tables().slice;
    while (n >= 8) {
        const std::uint64_t v = crc ^ load64(p);
        crc = t[7][v & 0xFFU] ^ t[6][(v >> 8) & 0xFFU] ^ t[5][(v >> 16) & 0xFFU] ^ t[4][(v >> 24) & 0xFFU] ^
              t[3][(v >> 32) & 0xFFU] ^ t[2][(v >> 40) & 0xFFU] ^ t[1][(v >> 48) & 0xFFU] ^ t[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) crc = t[0][(crc ^ *p++) & 0xFFU] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("pclmul,sse4.1"))) auto fold(__m128i x, __m128i k) -> __m128i {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

// Folds n (a multiple of 128, at least 256) bytes into the register: 8 lanes of 16 bytes, each folded over the
// next 128 bytes, then the lanes onto the last one, then the last 16 bytes through the table.
__attribute__((target("pclmul,sse4.1"))) auto clmul_update(std::uint64_t crc, const unsigned char* p, std::size_t n)
    -> std::uint64_t {
    const auto& f = tables().fold;
    auto constant = [&](unsigned lanes) {
        return _mm_set_epi64x(static_cast<long long>(f[lanes][1]), static_cast<long long>(f[lanes][0]));
    };
    __m128i x[8];  // NOLINT: a std::array drops the vector type's attributes
    for (std::size_t i = 0; i < 8; ++i) x[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    // The register so far is the first qword's contribution: the message with its first 8 bytes xored by it.
    x[0] = _mm_xor_si128(x[0], _mm_set_epi64x(0, static_cast<long long>(crc)));
    p += 128;
    n -= 128;
    const __m128i k8 = constant(8);
    while (n >= 128) {
        for (std::size_t i = 0; i < 8; ++i) {
            x[i] = _mm_xor_si128(fold(x[i], k8), _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)));
        }
        p += 128;
        n -= 128;
    }
    __m128i acc = x[7];
    for (unsigned i = 0; i < 7; ++i) acc = _mm_xor_si128(acc, fold(x[i], constant(7 - i)));
    alignas(16) std::array<unsigned char, 16> last{};
    _mm_store_si128(reinterpret_cast<__m128i*>(last.data()), acc);
    return table_update(0, last.data(), last.size());
}
#endif

// Multiplies two reflected polynomials modulo P (zlib's multmodp, for the 64-bit polynomial).
auto mult_mod(std::uint64_t a, std::uint64_t b) -> std::uint64_t {
    std::uint64_t m = 1ULL << 63;
    std::uint64_t p = 0;
    for (;;) {
        if ((a & m) != 0) {
            p ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = (b & 1U) != 0 ? (b >> 1) ^ k_poly : b >> 1;
    }
    return p;
}

}  // namespace

void Crc64Nvme::update(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
    if (size >= 256 && tables().clmul) {
        const std::size_t bulk = size & ~std::size_t{127};
        m_state = clmul_update(m_state, p, bulk);
        p += bulk;
        size -= bulk;
    }
#endif
    m_state = table_update(m_state, p, size);
}

auto crc64nvme(std::string_view bytes) -> std::uint64_t {
    Crc64Nvme crc;
    crc.update(bytes);
    return crc.value();
}

auto crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t length_b) -> std::uint64_t {
    // crc(AB) = crc(A) x^(8 len B) + crc(B) (mod P): the init and xorout terms cancel, as in zlib's crc32_combine.
    std::uint64_t shift = 1ULL << 63;     // x^0
    std::uint64_t square = x_pow_mod(8);  // x^(8 * 2^k) as k grows
    for (std::uint64_t n = length_b; n != 0; n >>= 1) {
        if ((n & 1U) != 0) shift = mult_mod(square, shift);
        square = mult_mod(square, square);
    }
    return mult_mod(shift, crc_a) ^ crc_b;
}

auto crc64nvme_accelerated() -> bool {
    return tables().clmul;
}

}  // namespace wheelhouse::util
