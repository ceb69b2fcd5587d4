#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../archive/zip_inspect.hpp"
#include "wheelhouse/bundle/plugins.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::bundle {
namespace {

namespace fs = std::filesystem;
using testing::inspect_zip;
using testing::run_command;
using testing::shell_quote;
using testing::system_python;

const fs::path k_wheels = fs::path(WHEELHOUSE_FIXTURES_DIR) / "wheels";
const std::string k_demo = "demo_pkg-1.0.0-py3-none-any.whl";
const std::string k_native = "native_pkg-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const std::string k_constraints = "demo-pkg==1.0.0\nnative-pkg==2.1.0\n";

class PluginsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "wh-plugins-XXXXXX").string();
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

    // A plugins folder as users have them: code, a subfolder, and what local runs leave behind.
    auto make_plugins(const std::string& folder) -> fs::path {
        auto root = m_dir / folder;
        write_text(root / "my_operator.py", "from airflow.models import BaseOperator\n");
        write_text(root / "hooks/__init__.py", "");
        write_text(root / "hooks/s3_hook.py", "X = 1\n");
        write_text(root / "hooks/__pycache__/s3_hook.cpython-311.pyc", "\x00compiled");
        write_text(root / "stale.pyc", "\x00compiled");
        fs::create_directories(root / "empty");
        fs::create_symlink("my_operator.py", root / "alias.py");
        return root;
    }

    auto request(std::optional<fs::path> plugins = {}) const -> PluginsRequest {
        PluginsRequest r;
        r.wheels = {{k_wheels / k_native, {}}, {k_wheels / k_demo, {}}};
        r.constraints = k_constraints;
        r.plugins_dir = std::move(plugins);
        return r;
    }

    static auto names_of(const PluginsLayout& layout) -> std::vector<std::string> {
        std::vector<std::string> out;
        for (const auto& m : layout.members()) out.push_back(m.name);
        return out;
    }

    static auto bytes_of(const fs::path& path) -> std::string {
        auto data = util::read_file(path);
        EXPECT_TRUE(data) << path;
        return data ? *data : std::string{};
    }

    fs::path m_dir;
};

TEST_F(PluginsTest, MergesWheelsConstraintsAndPluginFilesInSortedOrder) {
    auto layout = PluginsLayout::plan(request(make_plugins("plugins")));
    ASSERT_TRUE(layout) << layout.error().to_string();
    EXPECT_EQ(names_of(*layout),
              (std::vector<std::string>{"alias.py", "constraints.txt", k_demo, "empty/", "hooks/", "hooks/__init__.py",
                                        "hooks/s3_hook.py", "my_operator.py", k_native}));
    EXPECT_TRUE(layout->warnings().empty());
    auto out = m_dir / "plugins.zip";
    auto result = layout->write(out);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->sha256, util::sha256_hex(bytes_of(out)));
    EXPECT_LE(result->size, layout->estimated_size());
    EXPECT_GT(result->size + 2000, layout->estimated_size()) << "the estimate stays close for stored wheels";

    auto zip = inspect_zip(out);
    ASSERT_TRUE(zip.ok) << zip.problem;
    std::vector<std::string> names;
    for (const auto& r : zip.records) {
        names.push_back(r.name);
        if (r.name.ends_with(".whl")) {
            EXPECT_EQ(r.method, 0) << r.name << " is stored, not deflated";
        }
    }
    EXPECT_EQ(names, names_of(*layout));

    auto contents = read_plugins(out);
    ASSERT_TRUE(contents) << contents.error().to_string();
    EXPECT_EQ(contents->constraints, k_constraints);
    ASSERT_EQ(contents->wheels.size(), 2U);
    EXPECT_EQ(contents->wheels[0].name, k_demo);
    EXPECT_EQ(contents->wheels[1].name, k_native);
    std::vector<std::string> others;
    for (const auto& e : contents->others) others.push_back(e.name);
    EXPECT_EQ(others,
              (std::vector<std::string>{"alias.py", "hooks/__init__.py", "hooks/s3_hook.py", "my_operator.py"}));
    auto alias = contents->reader.read("alias.py");
    ASSERT_TRUE(alias);
    EXPECT_EQ(*alias, "from airflow.models import BaseOperator\n") << "a link inside the folder is stored as its file";
    auto extracted = contents->reader.extract(k_native, m_dir / "check.whl");
    ASSERT_TRUE(extracted) << extracted.error().to_string();
    EXPECT_EQ(extracted->sha256, util::sha256_hex(bytes_of(k_wheels / k_native)));

    auto tested = run_command(system_python() + " -m zipfile -t " + shell_quote(out.string()));
    EXPECT_EQ(tested.status, 0) << tested.output;
    auto unzip = run_command("/usr/bin/unzip -tq " + shell_quote(out.string()));
    EXPECT_EQ(unzip.status, 0) << unzip.output;
}

TEST_F(PluginsTest, RebuildingFromCopiesWithOtherTimesAndModesGivesTheSameBytes) {
    auto first = make_plugins("a");
    auto second = make_plugins("b");
    auto later = fs::file_time_type::clock::now() + std::chrono::hours(50);
    for (const auto& e : fs::recursive_directory_iterator(second)) {
        if (e.is_symlink()) continue;
        fs::last_write_time(e.path(), later);
        if (e.is_regular_file()) fs::permissions(e.path(), fs::perms(0600));
    }
    auto x = PluginsLayout::plan(request(first));
    auto y = PluginsLayout::plan(request(second));
    ASSERT_TRUE(x && y);
    auto rx = x->write(m_dir / "x.zip");
    auto ry = y->write(m_dir / "y.zip");
    ASSERT_TRUE(rx && ry);
    EXPECT_EQ(rx->sha256, ry->sha256);
    EXPECT_EQ(bytes_of(m_dir / "x.zip"), bytes_of(m_dir / "y.zip"));
}

TEST_F(PluginsTest, PutsWheelsUnderTheWheelDir) {
    auto r = request();
    r.wheel_dir = "wheels/";
    auto layout = PluginsLayout::plan(r);
    ASSERT_TRUE(layout) << layout.error().to_string();
    EXPECT_EQ(names_of(*layout),
              (std::vector<std::string>{"constraints.txt", "wheels/", "wheels/" + k_demo, "wheels/" + k_native}));
    auto out = m_dir / "p.zip";
    ASSERT_TRUE(layout->write(out));
    auto in_dir = read_plugins(out, "wheels");
    ASSERT_TRUE(in_dir);
    EXPECT_EQ(in_dir->wheels.size(), 2U);
    auto at_root = read_plugins(out);
    ASSERT_TRUE(at_root);
    EXPECT_TRUE(at_root->wheels.empty());
    EXPECT_EQ(at_root->others.size(), 2U);

    for (const auto* bad : {"../up", "/abs", "a/./b"}) {
        r.wheel_dir = bad;
        auto refused = PluginsLayout::plan(r);
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
    }
}

TEST_F(PluginsTest, APluginsFileNamedLikeAWheelOrTheConstraintsIsAnErrorNamingBoth) {
    auto plugins = m_dir / "plugins";
    write_text(plugins / k_demo, "not the wheel");
    auto clash = PluginsLayout::plan(request(plugins));
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().code, ErrorCode::invalid_input);
    EXPECT_NE(clash.error().message.find((plugins / k_demo).string()), std::string::npos) << clash.error().message;
    EXPECT_NE(clash.error().message.find((k_wheels / k_demo).string()), std::string::npos) << clash.error().message;

    fs::remove(plugins / k_demo);
    write_text(plugins / "constraints.txt", "other==1\n");
    clash = PluginsLayout::plan(request(plugins));
    ASSERT_FALSE(clash);
    EXPECT_NE(clash.error().message.find("the constraints file 'constraints.txt'"), std::string::npos)
        << clash.error().message;
    EXPECT_NE(clash.error().message.find("plugins-dir file 'constraints.txt'"), std::string::npos);

    fs::remove(plugins / "constraints.txt");
    write_text(plugins / "wheels", "a file where the wheel folder goes");
    auto r = request(plugins);
    r.wheel_dir = "wheels";
    clash = PluginsLayout::plan(r);
    ASSERT_FALSE(clash);
    EXPECT_NE(clash.error().message.find("needs a folder"), std::string::npos) << clash.error().message;

    // A plugins subfolder of the same name as the wheel folder merges with it.
    fs::remove(plugins / "wheels");
    write_text(plugins / "wheels/README", "wheels live here\n");
    auto merged = PluginsLayout::plan(r);
    ASSERT_TRUE(merged) << merged.error().to_string();
    EXPECT_EQ(names_of(*merged), (std::vector<std::string>{"constraints.txt", "wheels/", "wheels/README",
                                                           "wheels/" + k_demo, "wheels/" + k_native}));

    auto twice = request();
    twice.wheels.push_back({k_wheels / k_demo, {}});
    auto dup = PluginsLayout::plan(twice);
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("same name"), std::string::npos);
}

TEST_F(PluginsTest, RefusesSymlinksLeadingOutsideOrNowhere) {
    auto plugins = m_dir / "plugins";
    write_text(plugins / "ok.py", "");
    write_text(m_dir / "secret.txt", "outside");
    fs::create_symlink(m_dir / "secret.txt", plugins / "leak.txt");
    auto outside = PluginsLayout::plan(request(plugins));
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, ErrorCode::invalid_input);
    EXPECT_NE(outside.error().message.find("outside"), std::string::npos);
    EXPECT_EQ(outside.error().location.file, (plugins / "leak.txt").string());

    fs::remove(plugins / "leak.txt");
    fs::create_symlink("../plugins/../secret.txt", plugins / "sneaky.txt");
    EXPECT_FALSE(PluginsLayout::plan(request(plugins)));

    fs::remove(plugins / "sneaky.txt");
    fs::create_symlink("missing.py", plugins / "dangling.py");
    auto dangling = PluginsLayout::plan(request(plugins));
    ASSERT_FALSE(dangling);
    EXPECT_NE(dangling.error().message.find("nowhere"), std::string::npos);

    fs::remove(plugins / "dangling.py");
    fs::create_directories(plugins / "sub");
    fs::create_directory_symlink("sub", plugins / "loop");
    EXPECT_FALSE(PluginsLayout::plan(request(plugins)));

    fs::remove(plugins / "loop");
    EXPECT_TRUE(PluginsLayout::plan(request(plugins)));

    auto missing = PluginsLayout::plan(request(m_dir / "no-such-folder"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(PluginsTest, SizeGuardWarnsThenFailsListingTheFiveLargestWheels) {
    PluginsRequest r;
    r.constraints = k_constraints;
    for (int i = 1; i <= 7; ++i) {
        auto name = fmt::format("pkg{}-1.0-py3-none-any.whl", i);
        write_text(m_dir / "cache" / name, std::string(static_cast<std::size_t>(i) * 10000, 'w'));
        r.wheels.push_back({m_dir / "cache" / name, {}});
    }
    r.warn_size = 100000;
    r.max_size = 1000000;
    auto warned = PluginsLayout::plan(r);
    ASSERT_TRUE(warned) << warned.error().to_string();
    ASSERT_EQ(warned->warnings().size(), 1U);
    EXPECT_NE(warned->warnings()[0].find("pkg7-1.0-py3-none-any.whl (68.4 KiB)"), std::string::npos)
        << warned->warnings()[0];

    r.max_size = 200000;
    auto refused = PluginsLayout::plan(r);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_input);
    const auto& message = refused.error().message;
    EXPECT_NE(message.find("over the 195.3 KiB limit"), std::string::npos) << message;
    auto listed = message.substr(message.find("largest wheels: "));
    EXPECT_EQ(listed,
              "largest wheels: pkg7-1.0-py3-none-any.whl (68.4 KiB), pkg6-1.0-py3-none-any.whl (58.6 KiB), "
              "pkg5-1.0-py3-none-any.whl (48.8 KiB), pkg4-1.0-py3-none-any.whl (39.1 KiB), "
              "pkg3-1.0-py3-none-any.whl (29.3 KiB)");
    EXPECT_NE(refused.error().hint.find("--max-size"), std::string::npos);

    r.max_size.reset();  // --max-size without a limit
    EXPECT_TRUE(PluginsLayout::plan(r));

    EXPECT_EQ(PluginsLayout::plan(request())->warnings().size(), 0U) << "defaults: 512 MiB and 1 GiB";
    EXPECT_EQ(k_default_warn_size, 512ULL * 1024 * 1024);
    EXPECT_EQ(k_default_max_size, 1024ULL * 1024 * 1024);
}

TEST_F(PluginsTest, RefusesNonWheelsAndMissingWheels) {
    auto r = request();
    r.wheels.push_back({m_dir / "x.tar.gz", {}});
    auto sdist = PluginsLayout::plan(r);
    ASSERT_FALSE(sdist);
    EXPECT_EQ(sdist.error().code, ErrorCode::invalid_input);

    r = request();
    r.wheels.push_back({m_dir / "gone-1.0-py3-none-any.whl", {}});
    auto gone = PluginsLayout::plan(r);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, ErrorCode::not_found);
}

TEST_F(PluginsTest, ReadingSomethingThatIsNotAZipFailsVerification) {
    write_text(m_dir / "plugins.zip", "not a zip at all");
    auto r = read_plugins(m_dir / "plugins.zip");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::verification);
    auto missing = read_plugins(m_dir / "none.zip");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(FormatSize, UsesBinaryUnitsWithOneDecimal) {
    EXPECT_EQ(format_size(17), "17 B");
    EXPECT_EQ(format_size(4096), "4.0 KiB");
    EXPECT_EQ(format_size(1536ULL << 20), "1.5 GiB");
    EXPECT_EQ(format_size(512ULL << 20), "512.0 MiB");
}

}  // namespace
}  // namespace wheelhouse::bundle
