#include <gtest/gtest.h>

#include <filesystem>

#include "wheelhouse/util/expected.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse {
namespace {

TEST(Sha256, MatchesKnownDigestsWhenFedInPieces) {
    EXPECT_EQ(util::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    util::Sha256 h;
    h.update("ab");
    h.update("c");
    EXPECT_EQ(h.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha256, MatchesRfc4231TestVectors) {
    auto hex = [](const std::array<unsigned char, 32>& mac) { return util::to_hex(mac.data(), mac.size()); };
    EXPECT_EQ(hex(util::hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex(util::hmac_sha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Keys longer than the block size are hashed first (RFC 4231 test case 6).
    EXPECT_EQ(
        hex(util::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Strings, TrimSplitAndCaseFolding) {
    EXPECT_EQ(util::trim("  a b\t\n"), "a b");
    auto parts = util::split("a,,b", ',');
    ASSERT_EQ(parts.size(), 3U);
    EXPECT_EQ(parts[1], "");
    EXPECT_TRUE(util::iequals("ManyLinux", "manylinux"));
    EXPECT_FALSE(util::iequals("abc", "abd"));
    EXPECT_EQ(util::parse_uint64("18446744073709551615"), 18446744073709551615ULL);
    EXPECT_FALSE(util::parse_uint64("18446744073709551616").has_value());
    EXPECT_FALSE(util::parse_uint64("1a").has_value());
}

TEST(Utf8, RejectsOverlongsSurrogatesAndTruncation) {
    EXPECT_TRUE(util::is_valid_utf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(util::is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(util::is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(util::is_valid_utf8("\xE2\x82"));          // truncated
    EXPECT_FALSE(util::is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
}

TEST(Errors, FormatWithLocationContextAndHint) {
    Error e{ErrorCode::invalid_input, "invalid version", {"req.txt", 3, 7}, "use '==1.0'", "1..0"};
    EXPECT_EQ(e.to_string(), "req.txt:3:7: invalid version: '1..0' (hint: use '==1.0')");
    EXPECT_EQ(exit_code_for(ErrorCode::resolution), 2);
    EXPECT_EQ(exit_code_for(ErrorCode::network), 3);
    EXPECT_EQ(exit_code_for(ErrorCode::verification), 4);
    EXPECT_EQ(exit_code_for(ErrorCode::aws), 5);
}

TEST(Expected, CarriesValueOrError) {
    Expected<int> ok = 3;
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 3);
    Expected<int> bad = make_error(ErrorCode::io, "boom");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "boom");
    Expected<void> v;
    EXPECT_TRUE(v);
}

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporary) {
    auto dir = std::filesystem::temp_directory_path() / ("wh-util-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / "out.txt";
    ASSERT_TRUE(util::write_file_atomic(path, "one"));
    ASSERT_TRUE(util::write_file_atomic(path, "two"));
    auto content = util::read_file(path);
    ASSERT_TRUE(content);
    EXPECT_EQ(*content, "two");
    int entries = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 1);
    auto missing = util::write_file_atomic(dir / "no-such-dir" / "x", "y");
    EXPECT_FALSE(missing);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wheelhouse
