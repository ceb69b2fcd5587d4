// CRC-64/NVME against a bit-at-a-time reference written from the parameters (poly 0xAD93D23594C93659 reflected,
// init and xorout all ones), at every length around the carry-less folding's block sizes and split anywhere.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "wheelhouse/util/crc64.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse {
namespace {

auto reference(std::string_view data) -> std::uint64_t {
    std::uint64_t crc = ~std::uint64_t{0};
    for (char c : data) {
        crc ^= static_cast<unsigned char>(c);
        for (int k = 0; k < 8; ++k) crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x9A6C9329AC4BC9B5ULL : crc >> 1;
    }
    return ~crc;
}

auto random_bytes(std::size_t n, std::uint32_t seed) -> std::string {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFFU);
    return s;
}

TEST(Crc64Nvme, MatchesTheCatalogueCheckValueAndS3sEmptyObject) {
    EXPECT_EQ(util::crc64nvme("123456789"), 0xAE8B14860A799888ULL);
    EXPECT_EQ(util::crc64nvme(""), 0U);
    // Printed so that a run shows which path the numbers below exercised.
    std::printf("carry-less multiplication: %s\n", util::crc64nvme_accelerated() ? "yes" : "no");
}

TEST(Crc64Nvme, EqualsTheBitwiseReferenceAtEveryLengthAndSplit) {
    const auto data = random_bytes(4096 + 300, 7);
    for (std::size_t n = 0; n <= 1200; ++n) {
        ASSERT_EQ(util::crc64nvme(std::string_view(data).substr(0, n)), reference(std::string_view(data).substr(0, n)))
            << "length " << n;
    }
    for (std::size_t n : {2047U, 2048U, 2049U, 4096U, 4395U}) {
        EXPECT_EQ(util::crc64nvme(std::string_view(data).substr(0, n)), reference(std::string_view(data).substr(0, n)));
    }
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
        util::Crc64Nvme crc;
        std::size_t at = 0;
        while (at < data.size()) {
            const std::size_t n = std::min<std::size_t>(data.size() - at, rng() % 700);
            crc.update(std::string_view(data).substr(at, n));
            at += n;
        }
        ASSERT_EQ(crc.value(), reference(data)) << "round " << round;
    }
}

TEST(Crc64Nvme, CombinesPartsIntoTheWhole) {
    const auto data = random_bytes(3 * 1024 * 1024 + 17, 3);
    const std::uint64_t whole = util::crc64nvme(data);
    for (std::size_t cut : {0UL, 1UL, 255UL, 1024UL * 1024, data.size() - 1, data.size()}) {
        const auto a = std::string_view(data).substr(0, cut);
        const auto b = std::string_view(data).substr(cut);
        EXPECT_EQ(util::crc64nvme_combine(util::crc64nvme(a), util::crc64nvme(b), b.size()), whole) << "cut " << cut;
    }
}

TEST(Sha256File, HashesAFileInPiecesAndNamesAMissingOne) {
    const auto path = std::filesystem::temp_directory_path() / "wh-util-sha256-file.bin";
    const auto data = random_bytes(2 * 1024 * 1024 + 5, 5);
    ASSERT_TRUE(util::write_file_atomic(path, data));
    auto got = util::sha256_file(path);
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(got->first, util::sha256_hex(data));
    EXPECT_EQ(got->second, data.size());
    std::filesystem::remove(path);
    auto missing = util::sha256_file(path);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace wheelhouse
