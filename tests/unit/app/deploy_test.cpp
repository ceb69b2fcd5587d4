// The parts of deploy that need no server: prefixes, the update-environment arguments, the connection
// resolution from flags / environment / profile files, and the local checks that run before any request.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "wheelhouse/app/deploy.hpp"

namespace wheelhouse::app {
namespace {

TEST(DeployPrefix, IsNormalisedToSegmentsEndingWithASlash) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", ""},           {"/", ""},           {"env1", "env1/"},       {"env1/", "env1/"},
        {"/a//b/", "a/b/"}, {"./a/./b", "a/b/"}, {"a b/c+d", "a b/c+d/"},
    };
    for (const auto& [in, want] : cases) {
        auto got = normalize_prefix(in);
        ASSERT_TRUE(got.has_value()) << in;
        EXPECT_EQ(*got, want) << "prefix '" << in << "'";
    }
    EXPECT_EQ(cases.size(), 7U);
}

TEST(DeployPrefix, RefusesParentSegments) {
    auto got = normalize_prefix("a/../b");
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::usage);
}

TEST(UpdateEnvironment, NamesBothVersionsAndPathsInTheAwsCliSpelling) {
    Artifact plugins;
    plugins.path_in_bucket = "env/plugins.zip";
    plugins.version_id = "v-plugins";
    Artifact requirements;
    requirements.path_in_bucket = "env/requirements.txt";
    requirements.version_id = "v-req";
    auto argv = update_environment_command("prod", plugins, requirements, std::string("env/dags"));
    const std::vector<std::string> want{"aws",
                                        "mwaa",
                                        "update-environment",
                                        "--name",
                                        "prod",
                                        "--dag-s3-path",
                                        "env/dags",
                                        "--plugins-s3-path",
                                        "env/plugins.zip",
                                        "--plugins-s3-object-version",
                                        "v-plugins",
                                        "--requirements-s3-path",
                                        "env/requirements.txt",
                                        "--requirements-s3-object-version",
                                        "v-req"};
    EXPECT_EQ(argv, want);
    auto unnamed = update_environment_command("", plugins, requirements, std::nullopt);
    EXPECT_EQ(unnamed[4], "YOUR_ENVIRONMENT_NAME");
    EXPECT_EQ(std::count(unnamed.begin(), unnamed.end(), "--dag-s3-path"), 0);
}

class TempDir {
public:
    TempDir() : m_path(std::filesystem::temp_directory_path() / ("wh-app-deploy-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    auto operator=(const TempDir&) -> TempDir& = delete;
    TempDir(TempDir&&) = delete;
    auto operator=(TempDir&&) -> TempDir& = delete;
    [[nodiscard]] auto write(const std::string& name, const std::string& text) const -> std::string {
        auto p = m_path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    [[nodiscard]] auto path() const -> const std::filesystem::path& { return m_path; }

private:
    std::filesystem::path m_path;
};

TEST(S3Connection, FlagsWinOverEnvironmentForRegionAndEndpoint) {
    s3::Environment env{{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                        {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                        {"AWS_REGION", "eu-west-1"},
                        {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"},
                        {"AWS_CONFIG_FILE", "/nonexistent/config"},
                        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"}};
    auto from_env = resolve_s3_connection({}, env);
    ASSERT_TRUE(from_env.has_value()) << from_env.error().to_string();
    EXPECT_EQ(from_env->client.region, "eu-west-1");
    ASSERT_TRUE(from_env->client.endpoint.has_value());
    EXPECT_EQ(from_env->client.endpoint->port, 9000);
    EXPECT_EQ(from_env->credentials.access_key_id, "AKIAENV");
    EXPECT_EQ(from_env->credentials.secret_access_key.reveal(), "env-secret");

    s3::AwsOptions flags;
    flags.region = "ap-south-1";
    flags.endpoint_url = "https://s3.example.test";
    auto from_flags = resolve_s3_connection(flags, env);
    ASSERT_TRUE(from_flags.has_value()) << from_flags.error().to_string();
    EXPECT_EQ(from_flags->client.region, "ap-south-1");
    EXPECT_EQ(from_flags->client.endpoint->host, "s3.example.test");
}

TEST(S3Connection, ProfileFromTheSharedFilesGivesCredentialsRegionAndEndpoint) {
    TempDir dir;
    auto config = dir.write("config", "[profile ci]\nregion = eu-central-1\nendpoint_url = http://127.0.0.1:7480\n");
    auto credentials =
        dir.write("credentials", "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = ci-secret\n");
    s3::Environment env{{"AWS_CONFIG_FILE", config},
                        {"AWS_SHARED_CREDENTIALS_FILE", credentials},
                        {"AWS_ACCESS_KEY_ID", "AKIAENV"},
                        {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                        {"AWS_EC2_METADATA_DISABLED", "true"}};
    s3::AwsOptions flags;
    flags.profile = "ci";
    // --profile means that profile: the environment's keys are ignored, as the AWS CLI does.
    auto got = resolve_s3_connection(flags, env);
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(got->credentials.access_key_id, "AKIACI");
    EXPECT_EQ(got->client.region, "eu-central-1");
    ASSERT_TRUE(got->client.endpoint.has_value());
    EXPECT_EQ(got->client.endpoint->port, 7480);

    flags.profile = "missing";
    auto missing = resolve_s3_connection(flags, env);
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().to_string().find("missing"), std::string::npos);
}

TEST(S3Connection, NoCredentialsAnywhereIsAnAwsError) {
    s3::Environment env{{"AWS_CONFIG_FILE", "/nonexistent/config"},
                        {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                        {"AWS_EC2_METADATA_DISABLED", "true"}};
    auto got = resolve_s3_connection({}, env);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::aws);
}

auto keys_of(const DagFiles& dags) -> std::vector<std::string> {
    std::vector<std::string> keys;
    for (const auto& [key, path] : dags.files) keys.push_back(key);
    return keys;
}

TEST(DagFiles, LeaveOutDotfilesAndByteCodeUnlessIncludeHiddenButKeepAirflowignore) {
    TempDir dir;
    (void)dir.write("dags/a.py", "a\n");
    (void)dir.write("dags/.airflowignore", "skip_me\n");
    (void)dir.write("dags/.env", "TOKEN=1\n");
    (void)dir.write("dags/.git/config", "[remote]\nurl = https://ci:token@example.test/x.git\n");
    (void)dir.write("dags/sub/b.py", "b\n");
    (void)dir.write("dags/sub/.hidden/c.py", "c\n");
    (void)dir.write("dags/sub/b.cpython-311.pyc", "\x01");
    (void)dir.write("dags/__pycache__/a.cpython-311.pyc", "\x01");
    auto got = list_dag_files(dir.path() / "dags", "env/dags/", false);
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(keys_of(*got),
              (std::vector<std::string>{"env/dags/.airflowignore", "env/dags/a.py", "env/dags/sub/b.py"}));
    EXPECT_EQ(got->ignored,
              (std::vector<std::string>{".env", ".git/", "__pycache__/", "sub/.hidden/", "sub/b.cpython-311.pyc"}));

    auto all = list_dag_files(dir.path() / "dags", "", true);
    ASSERT_TRUE(all.has_value()) << all.error().to_string();
    EXPECT_EQ(keys_of(*all),
              (std::vector<std::string>{".airflowignore", ".env", ".git/config", "__pycache__/a.cpython-311.pyc",
                                        "a.py", "sub/.hidden/c.py", "sub/b.cpython-311.pyc", "sub/b.py"}));
    EXPECT_TRUE(all->ignored.empty());
}

TEST(DagFiles, FollowLinksToFilesInsideTheFolderOnly) {
    namespace fs = std::filesystem;
    TempDir dir;
    (void)dir.write("dags/real.py", "real\n");
    (void)dir.write("secret/credentials", "[default]\naws_secret_access_key = s\n");
    fs::create_symlink("real.py", dir.path() / "dags" / "alias.py");
    // A hidden link leaves the folder but is left out before it is looked at.
    fs::create_symlink(dir.path() / "secret", dir.path() / "dags" / ".aws");
    auto got = list_dag_files(dir.path() / "dags", "dags/", false);
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    ASSERT_EQ(keys_of(*got), (std::vector<std::string>{"dags/alias.py", "dags/real.py"}));
    EXPECT_EQ(got->files[0].second, fs::canonical(dir.path() / "dags" / "real.py"));

    fs::create_symlink(dir.path() / "secret" / "credentials", dir.path() / "dags" / "creds.py");
    auto outside = list_dag_files(dir.path() / "dags", "dags/", false);
    ASSERT_FALSE(outside.has_value());
    EXPECT_EQ(outside.error().code, ErrorCode::invalid_input);
    EXPECT_NE(outside.error().message.find("outside"), std::string::npos) << outside.error().to_string();
    EXPECT_NE(outside.error().location.file.find("creds.py"), std::string::npos);
}

TEST(DagFiles, BrokenLinksLoopsAndFolderLinksAreErrorsNotMissingFiles) {
    namespace fs = std::filesystem;
    struct Case {
        const char* name;
        std::function<void(const fs::path&)> make;
        const char* says;
    };
    const std::vector<Case> cases = {
        {"broken", [](const fs::path& d) { fs::create_symlink("gone.py", d / "broken.py"); }, "points nowhere"},
        {"loop",
         [](const fs::path& d) {
             fs::create_symlink("b.py", d / "a.py");
             fs::create_symlink("a.py", d / "b.py");
         },
         "loop"},
        {"folder loop", [](const fs::path& d) { fs::create_symlink("..", d / "sub" / "up"); }, "folder"},
    };
    for (const auto& c : cases) {
        TempDir dir;
        (void)dir.write("dags/sub/x.py", "x\n");
        c.make(dir.path() / "dags");
        auto got = list_dag_files(dir.path() / "dags", "", false);
        ASSERT_FALSE(got.has_value()) << c.name;
        EXPECT_EQ(got.error().code, ErrorCode::invalid_input) << c.name;
        EXPECT_NE(got.error().message.find(c.says), std::string::npos) << c.name << ": " << got.error().to_string();
    }
}

TEST(Deploy, MissingDistFilesAreReportedBeforeAnyRequest) {
    TempDir dir;
    (void)dir.write("dist/requirements.txt", "foo==1\n");
    S3Connection connection;
    connection.credentials.access_key_id = "AKIA";
    connection.credentials.secret_access_key = util::Secret("s");
    // An endpoint nothing listens on: the error must come from the local check, not from a connection.
    connection.client.endpoint = s3::Endpoint::parse("http://127.0.0.1:9").value();
    DeployOptions options;
    options.dist = dir.path() / "dist";
    options.bucket = "b";
    auto got = deploy(options, connection);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::not_found);
    EXPECT_NE(got.error().message.find("plugins.zip"), std::string::npos);

    (void)dir.write("dist/plugins.zip", "PK");
    options.dags = dir.path() / "no-dags";
    got = deploy(options, connection);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::not_found);

    options.dags.reset();
    options.delete_extra = true;
    got = deploy(options, connection);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::usage);
}

}  // namespace
}  // namespace wheelhouse::app
