#include <gtest/gtest.h>

#include <string>

#include "wheelhouse/metadata/metadata.hpp"
#include "wheelhouse/util/file.hpp"

namespace wheelhouse::metadata {
namespace {

auto parse_ok(const std::string& text) -> Metadata {
    auto md = Metadata::parse(text, "pkg/METADATA");
    EXPECT_TRUE(md) << md.error().to_string();
    return md ? *md : Metadata{};
}

TEST(Interpret, RequiresDistEntriesBecomeRequirements) {
    auto text = util::read_file(std::string(WHEELHOUSE_FIXTURES_DIR) + "/metadata/requests-2.31.0.METADATA");
    ASSERT_TRUE(text);
    auto md = parse_ok(*text);
    auto reqs = md.requires_dist();
    ASSERT_TRUE(reqs) << reqs.error().to_string();
    ASSERT_EQ(reqs->size(), 6U);
    EXPECT_EQ((*reqs)[0].name, "charset-normalizer");
    EXPECT_EQ((*reqs)[4].name, "PySocks");
    EXPECT_TRUE((*reqs)[4].marker.has_value());
    EXPECT_FALSE((*reqs)[0].marker.has_value());
}

TEST(Interpret, BadRequiresDistNamesItsLine) {
    auto md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: ok>=1\nRequires-Dist: bad[; x\n");
    auto reqs = md.requires_dist();
    ASSERT_FALSE(reqs);
    EXPECT_EQ(reqs.error().location.file, "pkg/METADATA");
    EXPECT_EQ(reqs.error().location.line, 5);
    EXPECT_EQ(reqs.error().context, "bad[; x");
    EXPECT_NE(reqs.error().message.find("Requires-Dist"), std::string::npos);
}

TEST(Interpret, VersionAndRequiresPython) {
    auto md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1.0A2\nRequires-Python: >=3.8, !=3.9.*\n");
    auto v = md.parsed_version();
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ(v->to_string(), "1.0a2");
    auto rp = md.requires_python_specifier();
    ASSERT_TRUE(rp) << rp.error().to_string();
    EXPECT_EQ(rp->specifiers().size(), 2U);

    auto bad = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: not a version\nRequires-Python: >=>3\n");
    auto bv = bad.parsed_version();
    ASSERT_FALSE(bv);
    EXPECT_EQ(bv.error().location.line, 3);
    auto brp = bad.requires_python_specifier();
    ASSERT_FALSE(brp);
    EXPECT_EQ(brp.error().location.line, 4);

    auto none = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\n");
    auto empty = none.requires_python_specifier();
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(Interpret, EverythingMetadataRequirementsParse) {
    auto text = util::read_file(std::string(WHEELHOUSE_CORPORA_DIR) + "/packaging/everything.metadata");
    ASSERT_TRUE(text);
    auto md = parse_ok(*text);
    auto reqs = md.requires_dist();
    ASSERT_TRUE(reqs) << reqs.error().to_string();
    ASSERT_EQ(reqs->size(), 5U);
    EXPECT_EQ((*reqs)[3].name, "zope.interface");
    EXPECT_EQ((*reqs)[3].specifier.to_string(), ">3.5.0");
    auto v = md.parsed_version();
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->is_prerelease());
}

}  // namespace
}  // namespace wheelhouse::metadata
