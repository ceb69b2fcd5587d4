#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <unistd.h>

#include <filesystem>

#include "wheelhouse/archive/wheel.hpp"
#include "wheelhouse/archive/zip_reader.hpp"
#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::archive {
namespace {

const std::string k_wheels = std::string(WHEELHOUSE_FIXTURES_DIR) + "/wheels/";
const std::string k_demo = "demo_pkg-1.0.0-py3-none-any.whl";
const std::string k_native = "native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

auto bytes_of(const std::string& name) -> std::string {
    auto data = util::read_file(k_wheels + name);
    EXPECT_TRUE(data) << name;
    return data ? *data : std::string{};
}

TEST(WheelReader, ListsEntriesOfPurePythonWheel) {
    auto reader = WheelReader::open(k_wheels + k_demo);
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ(reader->dist_info(), "demo_pkg-1.0.0.dist-info");
    std::vector<std::string> names;
    for (const auto& e : reader->entries()) names.push_back(e.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"demo_pkg/__init__.py", "demo_pkg/util.py", "demo_pkg-1.0.0.dist-info/METADATA",
                                        "demo_pkg-1.0.0.dist-info/WHEEL", "demo_pkg-1.0.0.dist-info/top_level.txt",
                                        "demo_pkg-1.0.0.dist-info/RECORD"}));
    const auto* init = reader->find("demo_pkg/__init__.py");
    ASSERT_NE(init, nullptr);
    EXPECT_EQ(init->size, 22U);
    EXPECT_FALSE(init->is_dir);
    EXPECT_FALSE(init->is_symlink);
    EXPECT_EQ(init->mode, 0644U);
    auto text = reader->read("demo_pkg/__init__.py");
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "__version__ = \"1.0.0\"\n");
}

TEST(WheelReader, ReadsMetadataWheelAndRecordInOneCall) {
    auto contents = read_wheel(k_wheels + k_demo);
    ASSERT_TRUE(contents) << contents.error().to_string();
    EXPECT_EQ(contents->dist_info, "demo_pkg-1.0.0.dist-info");
    EXPECT_NE(contents->metadata.find("Requires-Dist: requests[socks,security] >=2.28,<3\n"), std::string::npos);
    EXPECT_NE(contents->metadata.find("extra == \"test\""), std::string::npos);
    EXPECT_EQ(contents->wheel.wheel_version, "1.0");
    EXPECT_TRUE(contents->wheel.root_is_purelib);
    EXPECT_EQ(contents->wheel.tags, std::vector<std::string>{"py3-none-any"});
    EXPECT_EQ(contents->wheel.generator, "make_fixture_wheels.py");
    ASSERT_EQ(contents->record.size(), 6U);
    EXPECT_EQ(contents->entries.size(), 6U);
}

TEST(WheelReader, RecordHashesAndSizesMatchTheMembers) {
    for (const auto& name : {k_demo, k_native}) {
        auto reader = WheelReader::open(k_wheels + name);
        ASSERT_TRUE(reader) << reader.error().to_string();
        auto record = reader->read_record();
        ASSERT_TRUE(record) << record.error().to_string();
        EXPECT_EQ(record->size(), reader->entries().size()) << name;
        for (const auto& row : *record) {
            ASSERT_NE(reader->find(row.path), nullptr) << row.path;
            if (row.path == reader->dist_info() + "/RECORD") {
                EXPECT_TRUE(row.hash_algorithm.empty());
                EXPECT_FALSE(row.size);
                continue;
            }
            auto data = reader->read(row.path);
            ASSERT_TRUE(data) << row.path;
            EXPECT_EQ(row.hash_algorithm, "sha256");
            EXPECT_EQ(row.hash_hex, util::sha256_hex(*data)) << row.path;
            EXPECT_EQ(row.size, data->size()) << row.path;
        }
    }
}

TEST(WheelReader, ManylinuxWheelHasTwoTagsAnExecutableSharedObjectAndQuotedRecordPath) {
    auto contents = read_wheel(k_wheels + k_native);
    ASSERT_TRUE(contents) << contents.error().to_string();
    EXPECT_FALSE(contents->wheel.root_is_purelib);
    EXPECT_EQ(contents->wheel.tags,
              (std::vector<std::string>{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}));
    auto so = std::find_if(contents->entries.begin(), contents->entries.end(),
                           [](const Entry& e) { return e.name.ends_with(".so"); });
    ASSERT_NE(so, contents->entries.end());
    EXPECT_EQ(so->mode, 0755U);
    auto comma = std::find_if(contents->record.begin(), contents->record.end(),
                              [](const RecordEntry& r) { return r.path == "native_pkg/data, with comma.txt"; });
    ASSERT_NE(comma, contents->record.end());
    EXPECT_EQ(comma->line, 3);
}

TEST(WheelReader, OpensFromMemoryBuffer) {
    auto reader = WheelReader::open_buffer(bytes_of(k_demo), k_demo);
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto md = reader->read_metadata();
    ASSERT_TRUE(md);
    EXPECT_EQ(md->rfind("Metadata-Version: 2.1\n", 0), 0U);
    // Without a file name the project check is skipped.
    EXPECT_TRUE(WheelReader::open_buffer(bytes_of(k_demo)));
}

TEST(WheelReader, RejectsDistInfoOfAnotherProject) {
    auto reader = WheelReader::open_buffer(bytes_of(k_demo), "other_pkg-1.0.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_NE(reader.error().message.find("'demo_pkg-1.0.0.dist-info'"), std::string::npos) << reader.error().message;
    // Name normalisation: case and separators do not matter.
    EXPECT_TRUE(WheelReader::open_buffer(bytes_of(k_demo), "Demo.Pkg-1.0.0-py3-none-any.whl"));
}

TEST(WheelReader, RejectsParentDirectoryEntryNamingIt) {
    auto reader = WheelReader::open(k_wheels + "evil_pkg-1.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().code, ErrorCode::verification);
    EXPECT_NE(reader.error().message.find("member '../evil'"), std::string::npos) << reader.error().message;
    EXPECT_FALSE(reader.error().hint.empty());
    EXPECT_NE(reader.error().to_string().find("evil_pkg-1.0-py3-none-any.whl"), std::string::npos);
}

TEST(WheelReader, RejectsAbsolutePathEntry) {
    auto reader = WheelReader::open(k_wheels + "abs_pkg-1.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_NE(reader.error().message.find("member '/tmp/abs_pkg_escape'"), std::string::npos) << reader.error().message;
}

TEST(WheelReader, RejectsWheelWithoutDistInfo) {
    auto reader = WheelReader::open(k_wheels + "nodistinfo_pkg-1.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_NE(reader.error().message.find(".dist-info"), std::string::npos);
}

TEST(WheelReader, RejectsTruncatedWheel) {
    auto reader = WheelReader::open(k_wheels + "truncated_pkg-1.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().code, ErrorCode::verification);
    // Every prefix of a valid wheel is refused or readable, never a crash.
    auto full = bytes_of(k_demo);
    for (std::size_t n = 0; n < full.size(); n += 7) {
        auto partial = WheelReader::open_buffer(full.substr(0, n), k_demo);
        if (partial) {
            (void)partial->read_record();
        }
    }
}

TEST(WheelReader, MissingFileIsNotFound) {
    auto reader = WheelReader::open(k_wheels + "no_such-1.0-py3-none-any.whl");
    ASSERT_FALSE(reader);
    EXPECT_EQ(reader.error().code, ErrorCode::not_found);
}

TEST(WheelReader, NotAZipIsAnError) {
    EXPECT_FALSE(WheelReader::open_buffer("", "x-1.0-py3-none-any.whl"));
    EXPECT_FALSE(WheelReader::open_buffer("PK\x03\x04 not really", "x-1.0-py3-none-any.whl"));
}

TEST(WheelReader, SymlinkEntryIsFlaggedAndNotRead) {
    auto reader = WheelReader::open(k_wheels + "link_pkg-1.0-py3-none-any.whl");
    ASSERT_TRUE(reader) << reader.error().to_string();
    const auto* link = reader->find("link_pkg/alias.py");
    ASSERT_NE(link, nullptr);
    EXPECT_TRUE(link->is_symlink);
    EXPECT_FALSE(reader->read("link_pkg/alias.py"));
}

TEST(WheelReader, RefusesMemberOverTheSizeLimit) {
    Limits small;
    small.max_member_size = 100;
    auto reader = WheelReader::open(k_wheels + k_demo, small);
    ASSERT_FALSE(reader);  // RECORD is larger than 100 bytes
    EXPECT_NE(reader.error().message.find("limit"), std::string::npos);

    Limits total;
    total.max_total_size = 200;
    EXPECT_FALSE(WheelReader::open(k_wheels + k_demo, total));
}

TEST(WheelReader, MetadataAndRecordHaveTheirOwnSmallCaps) {
    // A METADATA of 17 MiB (well under the 512 MiB member limit) deflates to a few KB: a cheap way to make a
    // reader hold it whole.
    const auto dir = std::filesystem::temp_directory_path() / ("wh-archive-caps-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "big_meta-1.0-py3-none-any.whl";
    ZipWriter writer;
    std::string metadata = "Metadata-Version: 2.1\nName: big-meta\nVersion: 1.0\n\n";
    metadata.append((17U << 20U), 'x');
    ASSERT_TRUE(writer.add_bytes("big_meta-1.0.dist-info/METADATA", metadata));
    ASSERT_TRUE(writer.add_bytes("big_meta-1.0.dist-info/RECORD", std::string(65U << 20U, 'r')));
    ASSERT_TRUE(writer.add_bytes("big_meta-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n"));
    ASSERT_TRUE(writer.write(path));
    auto reader = WheelReader::open(path);
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto meta = reader->read_metadata();
    ASSERT_FALSE(meta);
    EXPECT_EQ(meta.error().code, ErrorCode::verification);
    EXPECT_NE(meta.error().message.find(std::to_string(max_metadata_member_size)), std::string::npos)
        << meta.error().message;
    EXPECT_FALSE(reader->read_record());
    EXPECT_TRUE(reader->read("big_meta-1.0.dist-info/METADATA")) << "the general member limit is larger";
    auto capped = reader->read("big_meta-1.0.dist-info/WHEEL", 5);
    EXPECT_FALSE(capped);
    // The bundle reader's read takes a cap too (verify reads constraints files with 64 MiB).
    auto zip = ZipReader::open(path);
    ASSERT_TRUE(zip) << zip.error().to_string();
    EXPECT_FALSE(zip->read("big_meta-1.0.dist-info/METADATA", 1U << 20U));
    EXPECT_TRUE(zip->read("big_meta-1.0.dist-info/METADATA"));
    std::filesystem::remove_all(dir);
}

TEST(WheelReader, ReadingAnUnknownMemberIsNotFound) {
    auto reader = WheelReader::open(k_wheels + k_demo);
    ASSERT_TRUE(reader);
    auto data = reader->read("demo_pkg/missing.py");
    ASSERT_FALSE(data);
    EXPECT_EQ(data.error().code, ErrorCode::not_found);
}

TEST(WheelReader, RecordMismatchIsVisibleToVerification) {
    auto reader = WheelReader::open(k_wheels + "badrecord_pkg-1.0-py3-none-any.whl");
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto record = reader->read_record();
    ASSERT_TRUE(record);
    int mismatches = 0;
    for (const auto& row : *record) {
        if (row.hash_algorithm.empty()) continue;
        auto data = reader->read(row.path);
        ASSERT_TRUE(data);
        if (row.hash_hex != util::sha256_hex(*data) || row.size != data->size()) ++mismatches;
    }
    EXPECT_EQ(mismatches, 2);
}

TEST(MemberNames, SafeAndUnsafe) {
    for (const char* ok : {"a.py", "pkg/mod.py", "pkg/", "pkg-1.0.data/scripts/run", "a..b/c"}) {
        EXPECT_TRUE(is_safe_member_name(ok)) << ok;
    }
    for (const char* bad :
         {"", "/etc/passwd", "../x", "a/../../x", "a/..", "C:/x", "c:x", "a\\b", "a//b", "./a", "a/./b"}) {
        EXPECT_FALSE(is_safe_member_name(bad)) << bad;
    }
    EXPECT_FALSE(is_safe_member_name(std::string_view("a\0b", 3)));
}

TEST(ProjectNames, NormalisedForFilenames) {
    EXPECT_EQ(normalise_project_for_filename("Foo.Bar--baz"), "foo_bar_baz");
    EXPECT_EQ(normalise_project_for_filename("demo_pkg"), "demo_pkg");
}

TEST(WheelInfoFile, ParsesAndValidates) {
    auto info = parse_wheel_info(
        "Wheel-Version: 1.0\r\nRoot-Is-Purelib: TRUE\r\nTag: py2-none-any\r\nTag: py3-none-any\r\n"
        "Build: 1\r\n");
    ASSERT_TRUE(info) << info.error().to_string();
    EXPECT_TRUE(info->root_is_purelib);
    EXPECT_EQ(info->tags.size(), 2U);
    EXPECT_EQ(info->build, "1");

    EXPECT_FALSE(parse_wheel_info("Root-Is-Purelib: true\n"));
    EXPECT_FALSE(parse_wheel_info("Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"));
    EXPECT_FALSE(parse_wheel_info("Wheel-Version: 1.0\n"));
    auto bad = parse_wheel_info("Wheel-Version: 1.0\nRoot-Is-Purelib: maybe\n", "x/WHEEL");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().location.to_string(), "x/WHEEL:2");
    auto garbage = parse_wheel_info("Wheel-Version: 1.0\nno colon\n");
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().location.line, 2);
}

TEST(RecordFile, ParsesCsvWithQuotingAndCrlf) {
    auto record = parse_record(
        "\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\n"
        "\"say \"\"hi\"\".txt\",,\r\n"
        "\r\n"
        "x/RECORD,,\r\n");
    ASSERT_TRUE(record) << record.error().to_string();
    ASSERT_EQ(record->size(), 3U);
    EXPECT_EQ((*record)[0].path, "a,b.py");
    EXPECT_EQ((*record)[0].hash_hex, util::sha256_hex(""));
    EXPECT_EQ((*record)[0].size, 0U);
    EXPECT_EQ((*record)[1].path, "say \"hi\".txt");
    EXPECT_EQ((*record)[2].line, 4);
}

TEST(RecordFile, RejectsBadRowsWithTheirLine) {
    const char* good = "a.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n";
    struct Case {
        std::string row;
        const char* why;
    };
    for (const auto& c : std::vector<Case>{
             {"b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n", "two fields"},
             {"b.py,md5=1B2M2Y8AsgTpgAmY7PhCfg,0\n", "weak algorithm"},
             {"b.py,sha256=47DEQpj8HBSa+/TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n", "not urlsafe"},
             {"b.py,sha256=47DEQpj8,0\n", "short digest"},
             {"b.py,47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n", "no algorithm"},
             {"b.py,,12x\n", "bad size"},
             {"../b.py,,\n", "unsafe path"},
             {"\"b.py,,\n", "unterminated quote"},
         }) {
        auto record = parse_record(std::string(good) + c.row, "RECORD");
        ASSERT_FALSE(record) << c.why;
        EXPECT_EQ(record.error().location.to_string(), "RECORD:2") << c.why << ": " << record.error().to_string();
    }
}

}  // namespace
}  // namespace wheelhouse::archive
