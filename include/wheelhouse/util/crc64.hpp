// CRC-64/NVME, the full-object checksum S3 computes and checks (x-amz-checksum-crc64nvme): polynomial
// 0xAD93D23594C93659, reflected, init and xorout all ones; "123456789" -> 0xAE8B14860A799888. Carry-less
// multiplication (PCLMULQDQ) folds 128 bytes per step where the CPU has it, a slice-by-8 table elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wheelhouse::util {

class Crc64Nvme {
public:
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    [[nodiscard]] auto value() const -> std::uint64_t { return ~m_state; }

private:
    std::uint64_t m_state = ~std::uint64_t{0};
};

auto crc64nvme(std::string_view bytes) -> std::uint64_t;

// The CRC of A followed by B from crc(A), crc(B) and B's length (so that parts hashed apart give the whole).
auto crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t length_b) -> std::uint64_t;

// True when update() uses carry-less multiplication on this CPU (benchmarks and tests report it).
auto crc64nvme_accelerated() -> bool;

}  // namespace wheelhouse::util
