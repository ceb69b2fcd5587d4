#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "wheelhouse/archive/zip_reader.hpp"
#include "wheelhouse/archive/zip_writer.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "zip_inspect.hpp"

namespace wheelhouse::archive {
namespace {

namespace fs = std::filesystem;
using testing::inspect_zip;
using testing::run_command;
using testing::shell_quote;
using testing::system_python;

const fs::path k_wheels = fs::path(WHEELHOUSE_FIXTURES_DIR) / "wheels";
const std::string k_demo = "demo_pkg-1.0.0-py3-none-any.whl";
const std::string k_native = "native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

class ZipWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "wh-zip-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_dir = pattern;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    static void write_text(const fs::path& path, const std::string& text) {
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
    }

    // A folder with the same content each time, but whatever mtimes and permissions are asked for.
    auto make_sources(const std::string& folder, fs::file_time_type mtime, fs::perms perms) -> fs::path {
        auto root = m_dir / folder;
        fs::create_directories(root);
        fs::copy_file(k_wheels / k_demo, root / k_demo);
        fs::copy_file(k_wheels / k_native, root / k_native);
        write_text(root / "dags/util.py", std::string(4000, 'x') + "\nprint('hello')\n");
        write_text(root / "README.txt", "plugins\n");
        for (const auto& p : {root / k_demo, root / k_native, root / "dags/util.py", root / "README.txt"}) {
            fs::last_write_time(p, mtime);
            fs::permissions(p, perms);
        }
        return root;
    }

    static auto build_from(const fs::path& root, const fs::path& out, ZipOptions options = {}) -> Expected<ZipResult> {
        ZipWriter writer(options);
        // Added in an order that is not the sorted one: the writer sorts.
        for (const auto& name : {std::string("dags/util.py"), k_native, std::string("README.txt"), k_demo}) {
            auto ok = writer.add_file(name, root / name);
            EXPECT_TRUE(ok) << ok.error().to_string();
        }
        auto ok = writer.add_bytes("constraints.txt", "demo-pkg==1.0.0\n");
        EXPECT_TRUE(ok);
        return writer.write(out);
    }

    static auto bytes_of(const fs::path& path) -> std::string {
        auto data = util::read_file(path);
        EXPECT_TRUE(data) << path;
        return data ? *data : std::string{};
    }

    auto leftovers() const -> std::vector<std::string> {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(m_dir)) {
            if (e.path().filename().string().find(".tmp-") != std::string::npos) out.push_back(e.path().string());
        }
        return out;
    }

    fs::path m_dir;
};

TEST_F(ZipWriterTest, SameInputsGiveIdenticalBytesAndTheReportedHash) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    auto a = build_from(src, m_dir / "a.zip");
    auto b = build_from(src, m_dir / "b.zip");
    ASSERT_TRUE(a) << a.error().to_string();
    ASSERT_TRUE(b) << b.error().to_string();
    auto bytes = bytes_of(m_dir / "a.zip");
    EXPECT_EQ(bytes, bytes_of(m_dir / "b.zip"));
    EXPECT_EQ(a->sha256, util::sha256_hex(bytes));
    EXPECT_EQ(a->size, bytes.size());
    EXPECT_EQ(a->entries, 6U);  // 5 members and the generated "dags/"
    EXPECT_EQ(a->sha256, b->sha256);
    EXPECT_TRUE(leftovers().empty());
}

TEST_F(ZipWriterTest, MtimesPermissionsOwnersUmaskAndTimeZoneDoNotChangeTheBytes) {
    auto old_tz = std::getenv("TZ") != nullptr ? std::string(std::getenv("TZ")) : std::string();
    auto first =
        make_sources("first", fs::file_time_type::clock::now() - std::chrono::hours(24 * 400), fs::perms(0644));
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    auto old_mask = ::umask(022);
    auto a = build_from(first, m_dir / "a.zip");

    auto second = make_sources("second", fs::file_time_type::clock::now(), fs::perms(0755));
    if (::geteuid() == 0) {
        for (const auto& e : fs::recursive_directory_iterator(second)) {
            EXPECT_EQ(::chown(e.path().c_str(), 1234, 5678), 0);
        }
    }
    ::setenv("TZ", "JST-9", 1);  // a zone far from UTC: DOS times are local times in zip tools
    ::tzset();
    ::umask(077);
    auto b = build_from(second, m_dir / "b.zip");

    ::umask(old_mask);
    if (old_tz.empty()) {
        ::unsetenv("TZ");
    } else {
        ::setenv("TZ", old_tz.c_str(), 1);
    }
    ::tzset();
    ASSERT_TRUE(a) << a.error().to_string();
    ASSERT_TRUE(b) << b.error().to_string();
    EXPECT_EQ(bytes_of(m_dir / "a.zip"), bytes_of(m_dir / "b.zip"));
    EXPECT_EQ(a->sha256, b->sha256);
}

TEST_F(ZipWriterTest, WritesOnlyFixedTimesOwnersAndModes) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0700));
    ASSERT_TRUE(build_from(src, m_dir / "out.zip"));
    auto layout = inspect_zip(m_dir / "out.zip");
    ASSERT_TRUE(layout.ok) << layout.problem;
    EXPECT_FALSE(layout.has_zip64_end);
    std::vector<std::string> names;
    for (const auto& r : layout.records) {
        names.push_back(r.name);
        EXPECT_EQ(r.dos_date, (0 << 9) | (1 << 5) | 1) << r.name << ": 1980-01-01";
        EXPECT_EQ(r.dos_time, 0) << r.name << ": 00:00:00";
        EXPECT_EQ(r.version_made_by >> 8, 3) << r.name << ": made on Unix, so the mode is meaningful";
        auto mode = r.external_attributes >> 16U;
        if (r.name.back() == '/') {
            EXPECT_EQ(mode, 040755U) << r.name;
        } else {
            EXPECT_EQ(mode, 0100644U) << r.name;
        }
        for (const auto* extras : {&r.extra, &r.local_extra}) {
            for (const auto& x : *extras) {
                if (x.id == 0x5455) {  // "UT": no time at all when no timestamp is asked for
                    EXPECT_EQ(x.data, std::string(1, '\0')) << r.name;
                } else if (x.id == 0x7875) {  // "ux": uid and gid 0 (4 bytes each)
                    EXPECT_EQ(x.data, std::string("\x01\x04\0\0\0\0\x04\0\0\0\0", 11)) << r.name;
                } else {
                    ADD_FAILURE() << r.name << ": unexpected extra field " << x.id;
                }
            }
        }
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"README.txt", "constraints.txt", "dags/", "dags/util.py", k_demo, k_native}));
}

TEST_F(ZipWriterTest, StoresWheelsAndDeflatesOtherFiles) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    ASSERT_TRUE(build_from(src, m_dir / "out.zip"));
    auto layout = inspect_zip(m_dir / "out.zip");
    ASSERT_TRUE(layout.ok) << layout.problem;
    int checked = 0;
    for (const auto& r : layout.records) {
        if (r.name.back() == '/') continue;
        auto expected = r.name.ends_with(".whl") ? 0 : 8;
        EXPECT_EQ(r.method, expected) << r.name;
        EXPECT_EQ(r.local_method, expected) << r.name;
        if (expected == 0) {
            EXPECT_EQ(r.compressed, r.uncompressed) << r.name;
            EXPECT_EQ(r.uncompressed, fs::file_size(src / r.name)) << r.name;
        }
        ++checked;
    }
    EXPECT_EQ(checked, 5);
    auto util_py = std::find_if(layout.records.begin(), layout.records.end(),
                                [](const auto& r) { return r.name == "dags/util.py"; });
    ASSERT_NE(util_py, layout.records.end());
    EXPECT_LT(util_py->compressed, util_py->uncompressed / 10);

    // The bytes of a stored wheel appear verbatim in the bundle.
    auto bundle = bytes_of(m_dir / "out.zip");
    EXPECT_NE(bundle.find(bytes_of(src / k_native)), std::string::npos);
}

TEST_F(ZipWriterTest, SourceDateEpochChangesTheTimestampsAndNothingElse) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    ZipOptions dated;
    dated.mtime = 1700000000;  // 2023-11-14 22:13:20 UTC
    auto plain = build_from(src, m_dir / "plain.zip");
    auto first = build_from(src, m_dir / "dated1.zip", dated);
    auto second = build_from(src, m_dir / "dated2.zip", dated);
    ::unsetenv("TZ");
    ::tzset();
    ASSERT_TRUE(plain && first && second);
    EXPECT_EQ(bytes_of(m_dir / "dated1.zip"), bytes_of(m_dir / "dated2.zip"));
    EXPECT_NE(first->sha256, plain->sha256);

    auto a = inspect_zip(m_dir / "plain.zip");
    auto b = inspect_zip(m_dir / "dated1.zip");
    ASSERT_TRUE(a.ok && b.ok);
    ASSERT_EQ(a.records.size(), b.records.size());
    for (std::size_t i = 0; i < a.records.size(); ++i) {
        const auto& x = a.records[i];
        const auto& y = b.records[i];
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.method, y.method) << x.name;
        EXPECT_EQ(x.crc, y.crc) << x.name;
        EXPECT_EQ(x.compressed, y.compressed) << x.name;
        EXPECT_EQ(x.external_attributes, y.external_attributes) << x.name;
        EXPECT_EQ(y.dos_date, ((2023 - 1980) << 9) | (11 << 5) | 14) << y.name;
        EXPECT_EQ(y.dos_time, (22 << 11) | (13 << 5) | (20 / 2)) << y.name;
        ASSERT_EQ(x.extra.size(), y.extra.size()) << x.name;
        for (std::size_t k = 0; k < x.extra.size(); ++k) {
            if (y.extra[k].id == 0x5455) {
                EXPECT_EQ(y.extra[k].data, std::string("\x01\x00\xf1\x53\x65", 5)) << y.name;  // mtime only
            } else {
                EXPECT_EQ(x.extra[k].data, y.extra[k].data) << x.name;
            }
        }
    }
}

TEST_F(ZipWriterTest, PythonZipfileAndUnzipAcceptTheArchive) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    auto out = m_dir / "out.zip";
    ASSERT_TRUE(build_from(src, out));
    auto python = system_python();
    auto tested = run_command(python + " -m zipfile -t " + shell_quote(out.string()));
    EXPECT_EQ(tested.status, 0) << tested.output;

    auto script =
        "import hashlib,sys,zipfile\n"
        "z=zipfile.ZipFile(sys.argv[1])\n"
        "for i in z.infolist():\n"
        "  print(i.filename, i.compress_type, oct(i.external_attr>>16), i.date_time[:3],"
        " hashlib.sha256(z.read(i)).hexdigest())\n";
    write_text(m_dir / "list.py", script);
    auto listed =
        run_command(python + " " + shell_quote((m_dir / "list.py").string()) + " " + shell_quote(out.string()));
    ASSERT_EQ(listed.status, 0) << listed.output;
    auto expect_line = [&](const std::string& name, int method, const std::string& mode) {
        std::string content = "demo-pkg==1.0.0\n";
        if (name != "constraints.txt") content = name.back() == '/' ? std::string() : bytes_of(src / name);
        auto line = name + " " + std::to_string(method) + " " + mode + " (1980, 1, 1) " + util::sha256_hex(content);
        EXPECT_NE(listed.output.find(line + "\n"), std::string::npos) << line << "\nin:\n" << listed.output;
    };
    expect_line("README.txt", 8, "0o100644");
    expect_line("constraints.txt", 8, "0o100644");
    expect_line("dags/", 0, "0o40755");
    expect_line("dags/util.py", 8, "0o100644");
    expect_line(k_demo, 0, "0o100644");
    expect_line(k_native, 0, "0o100644");

    ASSERT_TRUE(fs::exists("/usr/bin/unzip")) << "unzip is missing: run scripts/setup";
    auto unzip = run_command("/usr/bin/unzip -tq " + shell_quote(out.string()));
    EXPECT_EQ(unzip.status, 0) << unzip.output;
}

TEST_F(ZipWriterTest, NonAsciiNamesAreWrittenAsFlaggedUtf8WhateverTheLocale) {
    ZipWriter writer;
    const std::string name = "plugins/caf\xc3\xa9_\xe6\x97\xa5.py";
    ASSERT_TRUE(writer.add_bytes(name, "x = 1\n"));
    auto out = m_dir / "u.zip";
    auto result = writer.write(out);
    ASSERT_TRUE(result) << result.error().to_string();
    auto layout = inspect_zip(out);
    ASSERT_TRUE(layout.ok) << layout.problem;
    ASSERT_EQ(layout.records.size(), 2U);
    EXPECT_EQ(layout.records[1].name, name);
    EXPECT_NE(layout.records[1].flags & 0x0800, 0) << "the UTF-8 flag (bit 11)";
    auto listed = run_command(system_python() +
                              " -c 'import sys,zipfile; "
                              "print(zipfile.ZipFile(sys.argv[1]).namelist()[1].encode().hex())' " +
                              shell_quote(out.string()));
    EXPECT_EQ(listed.output, util::to_hex(reinterpret_cast<const unsigned char*>(name.data()), name.size()) + "\n");
}

TEST_F(ZipWriterTest, ForcedZip64IsReadableByPythonAndUnzip) {
    ZipOptions options;
    options.force_zip64 = true;
    ZipWriter writer(options);
    ASSERT_TRUE(writer.add_file(k_demo, k_wheels / k_demo));
    ASSERT_TRUE(writer.add_bytes("constraints.txt", "demo-pkg==1.0.0\n"));
    auto out = m_dir / "z64.zip";
    auto result = writer.write(out);
    ASSERT_TRUE(result) << result.error().to_string();
    auto layout = inspect_zip(out);
    ASSERT_TRUE(layout.ok) << layout.problem;
    EXPECT_TRUE(layout.has_zip64_end);
    auto tested = run_command(system_python() + " -m zipfile -t " + shell_quote(out.string()));
    EXPECT_EQ(tested.status, 0) << tested.output;
    auto unzip = run_command("/usr/bin/unzip -tq " + shell_quote(out.string()));
    EXPECT_EQ(unzip.status, 0) << unzip.output;
    auto reader = ZipReader::open(out);
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ(*reader->read("constraints.txt"), "demo-pkg==1.0.0\n");
}

TEST_F(ZipWriterTest, MoreThan65535EntriesSwitchToZip64) {
    ZipWriter writer;
    constexpr int count = 65600;
    for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(writer.add_bytes(fmt::format("f/{:05}", i), "", Compression::store));
    }
    auto out = m_dir / "many.zip";
    auto result = writer.write(out);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->entries, static_cast<std::size_t>(count + 1));
    auto layout = inspect_zip(out);
    ASSERT_TRUE(layout.ok) << layout.problem;
    EXPECT_TRUE(layout.has_zip64_end);
    EXPECT_EQ(layout.entries, static_cast<std::uint64_t>(count + 1));
    auto listed =
        run_command(system_python() + " -c 'import sys,zipfile; print(len(zipfile.ZipFile(sys.argv[1]).infolist()))' " +
                    shell_quote(out.string()));
    EXPECT_EQ(listed.output, std::to_string(count + 1) + "\n");
}

TEST_F(ZipWriterTest, AFailureMidWriteLeavesNoFileAndNoTemporary) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    auto out = m_dir / "out.zip";
    {
        ZipWriter writer;
        ASSERT_TRUE(writer.add_file(k_demo, src / k_demo));
        ASSERT_TRUE(writer.add_file("zz/late.txt", src / "README.txt"));
        fs::remove(src / "README.txt");  // gone by the time it is written, after the wheel
        auto result = writer.write(out);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code, ErrorCode::io);
        EXPECT_FALSE(fs::exists(out));
        EXPECT_TRUE(leftovers().empty());
    }
    {
        ZipWriter writer;
        ASSERT_TRUE(writer.add_file("dags/util.py", src / "dags/util.py"));
        ASSERT_TRUE(writer.add_file(k_native, src / k_native));
        std::ofstream(src / k_native, std::ios::app) << "grown";
        auto result = writer.write(out);
        ASSERT_FALSE(result);
        EXPECT_NE(result.error().message.find("changed"), std::string::npos) << result.error().to_string();
        EXPECT_FALSE(fs::exists(out));
        EXPECT_TRUE(leftovers().empty());
    }
    {
        // A previous bundle stays as it was when the new one fails.
        write_text(out, "previous");
        ZipWriter writer;
        ASSERT_TRUE(writer.add_file("x.txt", src / "dags/util.py"));
        fs::resize_file(src / "dags/util.py", 3);
        ASSERT_FALSE(writer.write(out));
        EXPECT_EQ(bytes_of(out), "previous");
        EXPECT_TRUE(leftovers().empty());
    }
    {
        ZipWriter writer;
        ASSERT_TRUE(writer.add_bytes("a.txt", "a"));
        auto result = writer.write(m_dir / "no-such-folder" / "out.zip");
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code, ErrorCode::io);
    }
}

TEST_F(ZipWriterTest, RejectsUnsafeDuplicateAndConflictingNames) {
    ZipWriter writer;
    for (const auto* bad : {"/etc/passwd", "../up.txt", "a/../b", "a\\b", "./a", "", "c:x", "dir/"}) {
        auto r = writer.add_bytes(bad, "x");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input) << bad;
    }
    EXPECT_FALSE(writer.add_bytes("bad\xff.txt", "x"));
    EXPECT_TRUE(writer.members().empty());
    ASSERT_TRUE(writer.add_bytes("a.txt", "x"));
    auto dup = writer.add_bytes("a.txt", "y");
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("twice"), std::string::npos);
    EXPECT_FALSE(writer.add_file("b.txt", m_dir / "missing"));
    EXPECT_FALSE(writer.add_file("b.txt", m_dir));  // a folder is not a file

    ASSERT_TRUE(writer.add_bytes("a.txt/inner.txt", "z"));
    auto r = writer.write(m_dir / "out.zip");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("both a file and the folder"), std::string::npos) << r.error().to_string();
    EXPECT_FALSE(fs::exists(m_dir / "out.zip"));
}

TEST_F(ZipWriterTest, WritesExplicitAndGeneratedFoldersOnce) {
    ZipWriter writer;
    ASSERT_TRUE(writer.add_directory("empty"));
    ASSERT_TRUE(writer.add_directory("a/"));
    ASSERT_TRUE(writer.add_bytes("a/b/c.txt", "c"));
    auto out = m_dir / "d.zip";
    ASSERT_TRUE(writer.write(out));
    auto reader = ZipReader::open(out);
    ASSERT_TRUE(reader) << reader.error().to_string();
    std::vector<std::string> names;
    for (const auto& e : reader->entries()) names.push_back(e.name + (e.is_dir ? "/" : ""));
    EXPECT_EQ(names, (std::vector<std::string>{"a/", "a/b/", "a/b/c.txt", "empty/"}));
}

TEST_F(ZipWriterTest, ChoosesStoreOnlyForWheels) {
    EXPECT_EQ(default_compression("x-1.0-py3-none-any.whl"), Compression::store);
    EXPECT_EQ(default_compression("wheels/X-1.0-py3-none-any.WHL"), Compression::store);
    EXPECT_EQ(default_compression("constraints.txt"), Compression::deflate);
    EXPECT_EQ(default_compression("whl"), Compression::deflate);
}

TEST(SourceDateEpoch, ReadsTheEnvironment) {
    ::unsetenv("SOURCE_DATE_EPOCH");
    auto unset = source_date_epoch();
    ASSERT_TRUE(unset);
    EXPECT_FALSE(unset->has_value());
    ::setenv("SOURCE_DATE_EPOCH", "", 1);
    EXPECT_FALSE(source_date_epoch()->has_value());
    ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    EXPECT_EQ(source_date_epoch()->value_or(0), 1700000000);
    for (const auto* bad : {"-1", "17e8", "abc", "99999999999", " 1"}) {
        ::setenv("SOURCE_DATE_EPOCH", bad, 1);
        auto r = source_date_epoch();
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_input);
        EXPECT_FALSE(r.error().hint.empty());
    }
    ::unsetenv("SOURCE_DATE_EPOCH");
}

TEST_F(ZipWriterTest, ReaderListsReadsAndExtractsWithHash) {
    auto src = make_sources("src", fs::file_time_type::clock::now(), fs::perms(0644));
    auto out = m_dir / "out.zip";
    ASSERT_TRUE(build_from(src, out));
    auto reader = ZipReader::open(out);
    ASSERT_TRUE(reader) << reader.error().to_string();
    ASSERT_EQ(reader->entries().size(), 6U);
    const auto* wheel = reader->find(k_native);
    ASSERT_NE(wheel, nullptr);
    EXPECT_EQ(wheel->size, fs::file_size(src / k_native));
    EXPECT_EQ(wheel->mode, 0644U);
    auto extracted = reader->extract(k_native, m_dir / "x.whl");
    ASSERT_TRUE(extracted) << extracted.error().to_string();
    EXPECT_EQ(extracted->sha256, util::sha256_hex(bytes_of(src / k_native)));
    EXPECT_EQ(bytes_of(m_dir / "x.whl"), bytes_of(src / k_native));
    EXPECT_EQ(*reader->read("constraints.txt"), "demo-pkg==1.0.0\n");
    EXPECT_FALSE(reader->read("nope"));
    EXPECT_FALSE(reader->read("dags"));
    EXPECT_TRUE(leftovers().empty());

    write_text(m_dir / "junk.zip", "PK\x03\x04 not really");
    auto junk = ZipReader::open(m_dir / "junk.zip");
    ASSERT_FALSE(junk);
    EXPECT_EQ(junk.error().code, ErrorCode::verification);
}

}  // namespace
}  // namespace wheelhouse::archive
