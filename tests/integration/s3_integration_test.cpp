// The S3 client against real servers on loopback (scripts/s3-server: Ceph RGW, Swift s3api, each behind
// tests/support/fault_proxy.py) and the credential providers against tests/support/aws_metadata_server.py.
// The servers are CTest fixtures; a missing server fails these tests, it never skips them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "wheelhouse/http/http.hpp"
#include "wheelhouse/s3/client.hpp"
#include "wheelhouse/s3/network_credentials.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {
namespace {

auto load_json(const char* env_name) -> nlohmann::json {
    const char* path = std::getenv(env_name);  // NOLINT(concurrency-mt-unsafe)
    if (path == nullptr) return nullptr;
    auto text = util::read_file(path);
    if (!text) return nullptr;
    return nlohmann::json::parse(*text, nullptr, false);
}

struct Server {
    nlohmann::json doc;
    [[nodiscard]] auto ok() const -> bool { return doc.is_object() && doc.contains("endpoint"); }
    [[nodiscard]] auto kind() const -> std::string { return doc.value("kind", ""); }
    [[nodiscard]] auto secret() const -> std::string { return doc.value("secret_key", ""); }
    [[nodiscard]] auto kms_key_id() const -> std::string { return doc.value("kms_key_id", ""); }
    [[nodiscard]] auto credentials(std::string secret_override = {}) const -> Credentials {
        Credentials c;
        c.access_key_id = doc.value("access_key", "");
        c.secret_access_key = util::Secret(secret_override.empty() ? secret() : std::move(secret_override));
        c.source = "test";
        return c;
    }
    [[nodiscard]] auto client(bool via_proxy = false, std::string secret_override = {},
                              ClientOptions options = {}) const -> Client {
        auto endpoint = Endpoint::parse(doc.value(via_proxy ? "proxy_endpoint" : "endpoint", ""));
        EXPECT_TRUE(endpoint.has_value());
        options.endpoint = *endpoint;
        options.region = doc.value("region", "us-east-1");
        options.http.backoff_base = std::chrono::milliseconds(20);
        auto c = Client::create(credentials(std::move(secret_override)), std::move(options));
        EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().to_string());
        return std::move(*c);
    }
    // Sets the fault proxy's default fault for every following request ("" clears it).
    void set_fault(const std::string& spec) const {
        http::Options o;
        o.trusted_hosts.push_back("127.0.0.1");
        auto engine = http::Engine::create(o);
        ASSERT_TRUE(engine.has_value());
        http::Request r(doc.value("proxy_endpoint", "") + "/_control/fault");
        r.method = http::Method::put;
        r.body = http::Body::memory(spec);
        auto resp = engine->fetch(std::move(r));
        ASSERT_TRUE(resp.has_value()) << resp.error().to_string();
    }
};

auto unique_bucket(std::string_view stem) -> std::string {
    static std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{}-{:08x}", stem, static_cast<std::uint32_t>(rng()));
}

auto make_file(const std::filesystem::path& path, std::size_t size, unsigned seed) -> std::string {
    std::mt19937 rng(seed);
    std::string data(size, '\0');
    for (auto& c : data) c = static_cast<char>(rng() & 0xFF);
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    return util::sha256_hex(data);
}

auto temp_dir() -> std::filesystem::path {
    auto dir = std::filesystem::temp_directory_path() / fmt::format("wh-s3-it-{}", ::getpid());
    std::filesystem::create_directories(dir);
    return dir;
}

class S3Server : public ::testing::Test {
protected:
    void SetUp() override {
        server.doc = load_json("WHEELHOUSE_S3_SERVER");
        ASSERT_TRUE(server.ok()) << "WHEELHOUSE_S3_SERVER must name the server.json written by scripts/s3-server "
                                    "(run through ctest, whose fixture starts the server)";
    }
    [[nodiscard]] auto is_rgw() const -> bool { return server.kind() == "rgw"; }
    [[nodiscard]] auto encrypted() const -> PutOptions {
        PutOptions o;
        if (is_rgw()) {
            o.encryption = Encryption::aws_kms;
            o.kms_key_id = server.kms_key_id();
        } else {
            o.encryption = Encryption::none;  // Swift s3api answers 501 to aws:kms (asserted separately)
            o.allow_unencrypted = true;
        }
        return o;
    }
    auto versioned_bucket(Client& c, std::string_view stem) -> std::string {
        auto bucket = unique_bucket(stem);
        auto created = c.create_bucket(bucket);
        EXPECT_TRUE(created.has_value()) << created.error().to_string();
        auto versioning = c.put_bucket_versioning(bucket, true);
        EXPECT_TRUE(versioning.has_value()) << versioning.error().to_string();
        return bucket;
    }
    Server server;
};

TEST_F(S3Server, PutObjectRoundTripsAndHeadEchoesEncryptionAndHash) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "roundtrip");
    const std::string body = "requirements for MWAA\n";
    auto put = c.put_object(bucket, "dir/requirements.txt", body, encrypted());
    ASSERT_TRUE(put.has_value()) << put.error().to_string();
    EXPECT_EQ(put->sha256, util::sha256_hex(body));
    auto head = c.head_object(bucket, "dir/requirements.txt");
    ASSERT_TRUE(head.has_value()) << head.error().to_string();
    ASSERT_TRUE(head->has_value());
    EXPECT_EQ((*head)->size, body.size());
    EXPECT_EQ((*head)->metadata["sha256"], util::sha256_hex(body));
    if (is_rgw()) {
        EXPECT_EQ(put->sse, "aws:kms");
        EXPECT_EQ(put->kms_key_id, server.kms_key_id());
        EXPECT_EQ((*head)->sse, "aws:kms");
        EXPECT_EQ((*head)->kms_key_id, server.kms_key_id());
    }
    auto got = c.get_object(bucket, "dir/requirements.txt");
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(*got, body);
    auto missing = c.head_object(bucket, "no/such/key");
    ASSERT_TRUE(missing.has_value()) << missing.error().to_string();
    EXPECT_FALSE(missing->has_value());
}

TEST_F(S3Server, KeysWithSpacesUnicodeAndPlusRoundTrip) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "keys");
    for (const std::string key : {"dags/my dag.py", "dags/caf\xc3\xa9+x~y.py", "a/b=c&d.txt"}) {
        auto put = c.put_object(bucket, key, key, encrypted());
        ASSERT_TRUE(put.has_value()) << key << ": " << put.error().to_string();
        auto got = c.get_object(bucket, key);
        ASSERT_TRUE(got.has_value()) << key << ": " << got.error().to_string();
        EXPECT_EQ(*got, key);
    }
    auto listed = c.list_objects(bucket, "");
    ASSERT_TRUE(listed.has_value()) << listed.error().to_string();
    EXPECT_EQ(listed->size(), 3U);
}

TEST_F(S3Server, VersionIdsAreTheServersAndDiffer) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "versions");
    auto versioning = c.get_bucket_versioning(bucket);
    ASSERT_TRUE(versioning.has_value()) << versioning.error().to_string();
    EXPECT_EQ(versioning->status, VersioningStatus::enabled);
    auto v1 = c.put_object(bucket, "plugins.zip", "one", encrypted());
    auto v2 = c.put_object(bucket, "plugins.zip", "two!", encrypted());
    ASSERT_TRUE(v1.has_value() && v2.has_value());
    EXPECT_FALSE(v1->version_id.empty());
    EXPECT_FALSE(v2->version_id.empty());
    EXPECT_NE(v1->version_id, v2->version_id);
    auto head = c.head_object(bucket, "plugins.zip");
    ASSERT_TRUE(head.has_value() && head->has_value());
    EXPECT_EQ((*head)->version_id, v2->version_id);
    auto old = c.get_object(bucket, "plugins.zip", v1->version_id);
    ASSERT_TRUE(old.has_value()) << old.error().to_string();
    EXPECT_EQ(*old, "one");
}

TEST_F(S3Server, MultipartUploadOfSixtyMegabytesInParallelParts) {
    ClientOptions options;
    options.multipart_threshold = 8ULL << 20;
    options.part_size = 5ULL << 20;
    options.max_parallel_parts = 4;
    auto c = server.client(false, {}, options);
    const auto bucket = versioned_bucket(c, "multipart");
    const auto file = temp_dir() / "sixty.bin";
    const auto sha = make_file(file, 60U << 20, 7);
    auto put = c.upload_file(bucket, "big/sixty.bin", file, encrypted());
    ASSERT_TRUE(put.has_value()) << put.error().to_string();
    EXPECT_EQ(put->parts, 12U);
    EXPECT_FALSE(put->version_id.empty());
    auto head = c.head_object(bucket, "big/sixty.bin");
    ASSERT_TRUE(head.has_value() && head->has_value());
    EXPECT_EQ((*head)->size, 60U << 20);
    EXPECT_EQ((*head)->metadata["sha256"], sha);
    EXPECT_EQ((*head)->version_id, put->version_id);
    if (is_rgw()) {
        EXPECT_EQ((*head)->sse, "aws:kms");
        EXPECT_EQ((*head)->kms_key_id, server.kms_key_id());
    }
    auto got = c.get_object(bucket, "big/sixty.bin");
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(util::sha256_hex(*got), sha);
    auto uploads = c.list_multipart_uploads(bucket);
    ASSERT_TRUE(uploads.has_value()) << uploads.error().to_string();
    EXPECT_TRUE(uploads->empty());
    std::filesystem::remove(file);
}

TEST_F(S3Server, ListObjectsV2FollowsContinuationTokens) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "listing");
    for (int i = 0; i < 7; ++i) {
        ASSERT_TRUE(c.put_object(bucket, fmt::format("dags/f{}.py", i), "x", encrypted()).has_value());
    }
    ASSERT_TRUE(c.put_object(bucket, "other/g.py", "x", encrypted()).has_value());
    auto first = c.list_objects_page(bucket, "dags/", 2, "");
    ASSERT_TRUE(first.has_value()) << first.error().to_string();
    EXPECT_EQ(first->objects.size(), 2U);
    EXPECT_TRUE(first->truncated);
    auto all = c.list_objects(bucket, "dags/", 2);
    ASSERT_TRUE(all.has_value()) << all.error().to_string();
    ASSERT_EQ(all->size(), 7U);
    for (int i = 0; i < 7; ++i) EXPECT_EQ((*all)[static_cast<std::size_t>(i)].key, fmt::format("dags/f{}.py", i));
}

TEST_F(S3Server, KeysWithDotSegmentsAreSentAsTheyAreSigned) {
    // curl folds "/a/../b" into "/b" after the request was signed: the server then sees another path than the
    // signature covers, or stores another key. Such keys are legal in S3 (a DAG folder named "..", a sync of
    // odd file names) and must round-trip as they are.
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "dots");
    const std::vector<std::string> keys = {"dags/a/../b.py", "dags/./c.py", "dags/d/..", "dags/e/."};
    for (const auto& key : keys) {
        auto put = c.put_object(bucket, key, "body of " + key, encrypted());
        ASSERT_TRUE(put.has_value()) << key << ": " << put.error().to_string();
    }
    auto listed = c.list_objects(bucket, "dags/");
    ASSERT_TRUE(listed.has_value()) << listed.error().to_string();
    std::vector<std::string> names;
    for (const auto& o : *listed) names.push_back(o.key);
    std::sort(names.begin(), names.end());
    auto sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(names, sorted);
    for (const auto& key : keys) {
        auto body = c.get_object(bucket, key);
        ASSERT_TRUE(body.has_value()) << key << ": " << body.error().to_string();
        EXPECT_EQ(*body, "body of " + key);
    }
}

TEST_F(S3Server, DeleteObjectsRemovesTheBatch) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "delete");
    for (const char* k : {"a.py", "b.py", "c.py", "keep.py"}) {
        ASSERT_TRUE(c.put_object(bucket, k, "x", encrypted()).has_value());
    }
    auto deleted = c.delete_objects(bucket, {"a.py", "b.py", "c.py", "never-existed.py"});
    ASSERT_TRUE(deleted.has_value()) << deleted.error().to_string();
    EXPECT_TRUE(deleted->errors.empty());
    auto rest = c.list_objects(bucket, "");
    ASSERT_TRUE(rest.has_value());
    ASSERT_EQ(rest->size(), 1U);
    EXPECT_EQ(rest->front().key, "keep.py");
}

TEST_F(S3Server, WrongSecretIsAnAwsErrorWithoutTheSecret) {
    const std::string wrong = "wrong" + server.secret();
    auto good = server.client();
    const auto bucket = versioned_bucket(good, "secret");
    auto c = server.client(false, wrong);
    auto put = c.put_object(bucket, "x.txt", "data", encrypted());
    ASSERT_FALSE(put.has_value());
    const auto text = put.error().to_string();
    EXPECT_EQ(put.error().code, ErrorCode::aws) << text;
    EXPECT_NE(text.find("SignatureDoesNotMatch"), std::string::npos) << text;
    EXPECT_NE(text.find("HTTP 403"), std::string::npos) << text;
    EXPECT_EQ(text.find(wrong), std::string::npos) << text;
    EXPECT_EQ(text.find(server.secret()), std::string::npos) << text;
}

TEST_F(S3Server, AFailedPartIsRetriedAloneThroughTheFaultProxy) {
    ClientOptions options;
    options.multipart_threshold = 8ULL << 20;
    options.part_size = 5ULL << 20;
    options.max_parallel_parts = 3;
    auto c = server.client(true, {}, options);
    const auto bucket = versioned_bucket(c, "fault-retry");
    const auto file = temp_dir() / "retry.bin";
    const auto sha = make_file(file, 16U << 20, 11);
    server.set_fault("reset,times=1,match=partNumber=2");
    auto put = c.upload_file(bucket, "retry.bin", file, encrypted());
    server.set_fault("");
    ASSERT_TRUE(put.has_value()) << put.error().to_string();
    EXPECT_EQ(put->parts, 4U);
    auto got = c.get_object(bucket, "retry.bin");
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    EXPECT_EQ(util::sha256_hex(*got), sha);
    std::filesystem::remove(file);
}

TEST_F(S3Server, APartThatKeepsFailingAbortsTheUploadAndLeavesNothing) {
    ClientOptions options;
    options.multipart_threshold = 8ULL << 20;
    options.part_size = 5ULL << 20;
    options.max_parallel_parts = 3;
    options.part_rounds = 2;
    options.http.max_attempts = 2;
    auto c = server.client(true, {}, options);
    const auto bucket = versioned_bucket(c, "fault-abort");
    const auto file = temp_dir() / "abort.bin";
    make_file(file, 16U << 20, 13);
    server.set_fault("reset,match=partNumber=3");
    auto put = c.upload_file(bucket, "abort.bin", file, encrypted());
    server.set_fault("");
    ASSERT_FALSE(put.has_value());
    EXPECT_NE(put.error().message.find("aborted"), std::string::npos) << put.error().to_string();
    EXPECT_NE(put.error().message.find("part 3"), std::string::npos) << put.error().to_string();
    auto uploads = c.list_multipart_uploads(bucket);
    ASSERT_TRUE(uploads.has_value()) << uploads.error().to_string();
    EXPECT_TRUE(uploads->empty()) << uploads->size() << " multipart uploads left behind";
    auto head = c.head_object(bucket, "abort.bin");
    ASSERT_TRUE(head.has_value()) << head.error().to_string();
    EXPECT_FALSE(head->has_value()) << "a partial object exists";
    std::filesystem::remove(file);
}

TEST_F(S3Server, BucketSettingsAreReadOrReportedAsNotSupported) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "settings");
    auto encryption = c.get_bucket_encryption(bucket);
    ASSERT_TRUE(encryption.has_value()) << encryption.error().to_string();
    // Both servers answer ?encryption with a bucket listing: that must read as "not supported", never as set.
    EXPECT_NE(encryption->availability, Availability::configured) << encryption->algorithm;
    auto pab = c.get_public_access_block(bucket);
    ASSERT_TRUE(pab.has_value()) << pab.error().to_string();
    EXPECT_FALSE(pab->all_blocked());
    if (is_rgw()) {
        PublicAccessBlock block;
        block.block_public_acls = true;
        block.ignore_public_acls = true;
        block.block_public_policy = true;
        block.restrict_public_buckets = true;
        ASSERT_TRUE(c.put_public_access_block(bucket, block).has_value());
        auto after = c.get_public_access_block(bucket);
        ASSERT_TRUE(after.has_value()) << after.error().to_string();
        EXPECT_TRUE(after->all_blocked());
    } else {
        EXPECT_EQ(pab->availability, Availability::not_supported) << pab->detail;
        EXPECT_NE(pab->detail.find("not supported by this server"), std::string::npos) << pab->detail;
    }
}

TEST_F(S3Server, SseKmsIsEchoedOrReportedClearlyAsNotSupported) {
    auto c = server.client();
    const auto bucket = versioned_bucket(c, "ssekms");
    PutOptions kms;
    kms.encryption = Encryption::aws_kms;
    kms.kms_key_id = is_rgw() ? server.kms_key_id() : "arn:aws:kms:us-east-1:111122223333:key/none";
    auto put = c.put_object(bucket, "k.txt", "data", kms);
    if (is_rgw()) {
        ASSERT_TRUE(put.has_value()) << put.error().to_string();
        EXPECT_EQ(put->sse, "aws:kms");
    } else {
        ASSERT_FALSE(put.has_value());
        const auto text = put.error().to_string();
        EXPECT_EQ(put.error().code, ErrorCode::aws);
        EXPECT_NE(text.find("HTTP 501"), std::string::npos) << text;
        EXPECT_NE(text.find("not supported by this server"), std::string::npos) << text;
    }
    PutOptions none;
    none.encryption = Encryption::none;
    auto refused = c.put_object(bucket, "plain.txt", "data", none);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::usage);
}

// ---------------------------------------------------------------- credential providers

class MetadataServer : public ::testing::Test {
protected:
    void SetUp() override {
        state = load_json("WHEELHOUSE_AWS_METADATA");
        ASSERT_TRUE(state.is_object()) << "WHEELHOUSE_AWS_METADATA must name aws_metadata_server.py's metadata.json";
        dir = temp_dir();
    }
    [[nodiscard]] auto endpoint() const -> std::string { return state.value("endpoint", ""); }
    [[nodiscard]] auto expected(const char* source, const char* field) const -> std::string {
        return state["credentials"][source].value(field, "");
    }
    auto write(const std::string& name, const std::string& text) const -> std::string {
        const auto path = dir / name;
        std::ofstream(path) << text;
        return path.string();
    }
    nlohmann::json state;
    std::filesystem::path dir;
};

TEST_F(MetadataServer, WebIdentityTokenIsExchangedAtSts) {
    Environment env{{"AWS_WEB_IDENTITY_TOKEN_FILE", write("token", state.value("web_identity_token", "") + "\n")},
                    {"AWS_ROLE_ARN", state.value("role_arn", "")},
                    {"AWS_ENDPOINT_URL_STS", endpoint()}};
    auto p = make_web_identity_provider(env, {}, {});
    auto creds = p->load();
    ASSERT_TRUE(creds.has_value()) << creds.error().to_string();
    ASSERT_TRUE(creds->has_value());
    EXPECT_EQ((*creds)->access_key_id, expected("web-identity", "AccessKeyId"));
    EXPECT_EQ((*creds)->secret_access_key.reveal(), expected("web-identity", "SecretAccessKey"));
    EXPECT_EQ((*creds)->session_token.reveal(), expected("web-identity", "SessionToken"));
    EXPECT_TRUE((*creds)->expiration.has_value());
    EXPECT_EQ((*creds)->source, "web-identity");
}

TEST_F(MetadataServer, WebIdentityWithAWrongTokenReportsStsErrorWithoutTheToken) {
    Environment env{{"AWS_WEB_IDENTITY_TOKEN_FILE", write("bad-token", "not-the-token-xyz")},
                    {"AWS_ROLE_ARN", state.value("role_arn", "")},
                    {"AWS_ENDPOINT_URL_STS", endpoint()}};
    auto creds = make_web_identity_provider(env, {}, {})->load();
    ASSERT_FALSE(creds.has_value());
    const auto text = creds.error().to_string();
    EXPECT_EQ(creds.error().code, ErrorCode::aws);
    EXPECT_NE(text.find("InvalidIdentityToken"), std::string::npos) << text;
    EXPECT_EQ(text.find("not-the-token-xyz"), std::string::npos) << text;
}

TEST_F(MetadataServer, ContainerCredentialsUseTheAuthorizationTokenFile) {
    Environment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint() + "/container/credentials"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write("ctoken", state.value("container_token", ""))}};
    auto creds = make_container_provider(env)->load();
    ASSERT_TRUE(creds.has_value()) << creds.error().to_string();
    ASSERT_TRUE(creds->has_value());
    EXPECT_EQ((*creds)->access_key_id, expected("container", "AccessKeyId"));
    EXPECT_EQ((*creds)->session_token.reveal(), expected("container", "SessionToken"));
    EXPECT_EQ((*creds)->source, "container");
}

TEST_F(MetadataServer, ContainerCredentialsWithAWrongTokenFail) {
    Environment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint() + "/container/credentials"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-abc"}};
    auto creds = make_container_provider(env)->load();
    ASSERT_FALSE(creds.has_value());
    EXPECT_NE(creds.error().message.find("401"), std::string::npos) << creds.error().to_string();
    EXPECT_EQ(creds.error().to_string().find("wrong-token-abc"), std::string::npos);
}

TEST_F(MetadataServer, ContainerFullUriOverPlainHttpToAnotherHostIsRefused) {
    Environment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}};
    auto creds = make_container_provider(env)->load();
    ASSERT_FALSE(creds.has_value());
    EXPECT_NE(creds.error().message.find("plain http"), std::string::npos) << creds.error().to_string();
}

TEST_F(MetadataServer, InstanceMetadataUsesImdsV2Tokens) {
    Environment env{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint()}};
    auto creds = make_instance_metadata_provider(env)->load();
    ASSERT_TRUE(creds.has_value()) << creds.error().to_string();
    ASSERT_TRUE(creds->has_value());
    EXPECT_EQ((*creds)->access_key_id, expected("imds", "AccessKeyId"));
    EXPECT_EQ((*creds)->secret_access_key.reveal(), expected("imds", "SecretAccessKey"));
    EXPECT_EQ((*creds)->source, "instance-metadata");
}

TEST_F(MetadataServer, InstanceMetadataDisabledOrUnreachableIsNotConfigured) {
    Environment disabled{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    auto none = make_instance_metadata_provider(disabled)->load();
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
    NetworkProviderOptions fast;
    fast.metadata_timeout = std::chrono::milliseconds(300);
    fast.metadata_attempts = 1;
    Environment unreachable{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}};
    auto nothing = make_instance_metadata_provider(unreachable, fast)->load();
    ASSERT_TRUE(nothing.has_value()) << nothing.error().to_string();
    EXPECT_FALSE(nothing->has_value());
}

TEST_F(MetadataServer, DefaultChainPrefersEnvironmentThenWebIdentityThenContainerThenImds) {
    const auto token_file = write("token2", state.value("web_identity_token", ""));
    Environment env{{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                    {"AWS_ROLE_ARN", state.value("role_arn", "")},
                    {"AWS_ENDPOINT_URL_STS", endpoint()},
                    {"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint() + "/container/credentials"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", state.value("container_token", "")},
                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint()},
                    {"AWS_CONFIG_FILE", (dir / "none-config").string()},
                    {"AWS_SHARED_CREDENTIALS_FILE", (dir / "none-credentials").string()}};
    auto files = SharedFiles::load(env);
    ASSERT_TRUE(files.has_value());
    ProfileChoice profile;
    auto chain = make_default_chain(env, *files, profile, make_network_providers(env, *files, profile));
    auto creds = chain.resolve();
    ASSERT_TRUE(creds.has_value()) << creds.error().to_string();
    EXPECT_EQ(creds->source, "web-identity");

    Environment no_web{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint() + "/container/credentials"},
                       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", state.value("container_token", "")},
                       {"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint()},
                       {"AWS_CONFIG_FILE", (dir / "none-config").string()},
                       {"AWS_SHARED_CREDENTIALS_FILE", (dir / "none-credentials").string()}};
    auto chain2 = make_default_chain(no_web, *files, profile, make_network_providers(no_web, *files, profile));
    auto creds2 = chain2.resolve();
    ASSERT_TRUE(creds2.has_value()) << creds2.error().to_string();
    EXPECT_EQ(creds2->source, "container");

    Environment only_imds{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint()}};
    auto chain3 = make_default_chain(only_imds, *files, profile, make_network_providers(only_imds, *files, profile));
    auto creds3 = chain3.resolve();
    ASSERT_TRUE(creds3.has_value()) << creds3.error().to_string();
    EXPECT_EQ(creds3->source, "instance-metadata");
}

// ---- redirects and response limits, against the metadata server's redirect endpoints and its recorder (another
// origin that answers with the request it got and counts what reaches it).

class Redirects : public MetadataServer {
protected:
    [[nodiscard]] auto recorder() const -> std::string { return state.value("recorder", ""); }
    [[nodiscard]] static auto engine() -> http::Engine {
        http::Options o;
        o.trusted_hosts.push_back("127.0.0.1");
        o.backoff_base = std::chrono::milliseconds(10);
        auto e = http::Engine::create(o);
        EXPECT_TRUE(e.has_value());
        return std::move(*e);
    }
    [[nodiscard]] auto hits() const -> int {
        auto e = engine();
        auto r = e.fetch(http::Request(recorder() + "/hits"));
        EXPECT_TRUE(r.has_value());
        return r ? std::stoi(r->body) : -1;
    }
    static auto header(const nlohmann::json& echoed, std::string_view name) -> std::optional<std::string> {
        for (const auto& kv : echoed["headers"]) {
            if (util::iequals(kv[0].get<std::string>(), name)) return kv[1].get<std::string>();
        }
        return std::nullopt;
    }
    static auto with_secret_headers(http::Request r) -> http::Request {
        r.headers = {{"Authorization", "Bearer secret-auth"},
                     {"Cookie", "session=secret-cookie"},
                     {"Proxy-Authorization", "Basic secret-proxy"},
                     {"X-Amz-Security-Token", "secret-session-token"},
                     {"X-aws-ec2-metadata-token", "secret-imds-token"},
                     {"Host", "evil.example"},
                     {"Accept", "application/json"}};
        return r;
    }
};

TEST_F(Redirects, AChangeOfOriginDropsCredentialHeadersAndHost) {
    auto e = engine();
    for (const char* status : {"301", "302", "303", "307", "308"}) {
        auto r = e.fetch(with_secret_headers(http::Request(endpoint() + "/redirect/" + status + "/landed")));
        ASSERT_TRUE(r.has_value()) << r.error().to_string();
        const auto echoed = nlohmann::json::parse(r->body);
        EXPECT_EQ(echoed["path"], "/landed") << status;
        for (const char* name :
             {"Authorization", "Cookie", "Proxy-Authorization", "X-Amz-Security-Token", "X-aws-ec2-metadata-token"}) {
            EXPECT_FALSE(header(echoed, name)) << status << ": " << name << " reached another origin";
        }
        EXPECT_EQ(header(echoed, "Host").value_or(""), recorder().substr(std::string("http://").size())) << status;
        EXPECT_EQ(header(echoed, "Accept").value_or(""), "application/json") << "other headers stay";
        EXPECT_EQ(r->body.find("secret"), std::string::npos) << r->body;
    }
    // On the same origin the request is unchanged.
    auto same = e.fetch(with_secret_headers(http::Request(endpoint() + "/redirect-self/302/echo/here")));
    ASSERT_TRUE(same.has_value()) << same.error().to_string();
    const auto echoed = nlohmann::json::parse(same->body);
    EXPECT_EQ(header(echoed, "Authorization").value_or(""), "Bearer secret-auth");
    EXPECT_EQ(header(echoed, "X-Amz-Security-Token").value_or(""), "secret-session-token");
}

TEST_F(Redirects, ABodyIsNotSentAgainAfter301302Or303) {
    auto e = engine();
    for (const char* status : {"301", "302", "303"}) {
        http::Request r(endpoint() + "/redirect/" + status + "/landed");
        r.method = http::Method::post;
        r.body = http::Body::memory("secret-form-body");
        auto response = e.fetch(std::move(r));
        ASSERT_TRUE(response.has_value()) << response.error().to_string();
        const auto echoed = nlohmann::json::parse(response->body);
        EXPECT_EQ(echoed["method"], "GET") << status;
        EXPECT_EQ(echoed["body"], "") << status;
        EXPECT_FALSE(header(echoed, "Content-Length").has_value() && header(echoed, "Content-Length") != "0") << status;
    }
    // 307 and 308 mean "the same request there".
    http::Request r(endpoint() + "/redirect-self/307/echo/again");
    r.method = http::Method::put;
    r.body = http::Body::memory("kept");
    auto kept = e.fetch(std::move(r));
    ASSERT_TRUE(kept.has_value()) << kept.error().to_string();
    EXPECT_EQ(nlohmann::json::parse(kept->body)["body"], "kept");
}

TEST_F(Redirects, SignedAndCredentialRequestsNeverFollowOne) {
    const int before = hits();
    // The engine: an error naming the status and where it pointed, with error_status_is_error.
    {
        auto e = engine();
        http::Request r(endpoint() + "/redirect/307/landed");
        r.follow_redirects = false;
        auto refused = e.fetch(std::move(r));
        ASSERT_FALSE(refused.has_value());
        EXPECT_EQ(refused.error().code, ErrorCode::network);
        EXPECT_NE(refused.error().message.find("307"), std::string::npos) << refused.error().message;
    }
    // S3 (SigV4-signed): the 3xx is the server's answer, reported as an S3 error.
    {
        ClientOptions o;
        o.endpoint = *Endpoint::parse(endpoint() + "/redirect/307");
        Credentials c;
        c.access_key_id = "AKIDREDIRECT";
        c.secret_access_key = util::Secret("redirect-secret");
        c.session_token = util::Secret("redirect-session-token");
        auto client = Client::create(c, o);
        ASSERT_TRUE(client.has_value()) << client.error().to_string();
        auto versioning = client->get_bucket_versioning("bucket");
        ASSERT_FALSE(versioning.has_value());
        EXPECT_EQ(versioning.error().code, ErrorCode::aws);
        EXPECT_NE(versioning.error().message.find("307"), std::string::npos) << versioning.error().message;
        PutOptions plain;
        plain.encryption = Encryption::none;
        plain.allow_unencrypted = true;
        auto put = client->put_object("bucket", "k.txt", "body", plain);
        EXPECT_FALSE(put.has_value());
    }
    // STS, container credentials, IMDSv2.
    Environment sts{{"AWS_WEB_IDENTITY_TOKEN_FILE", write("token", state.value("web_identity_token", ""))},
                    {"AWS_ROLE_ARN", state.value("role_arn", "")},
                    {"AWS_ENDPOINT_URL_STS", endpoint() + "/redirect/307"}};
    EXPECT_FALSE(make_web_identity_provider(sts, {}, {})->load().has_value());
    Environment container{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint() + "/redirect/307/container/credentials"},
                          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", state.value("container_token", "")}};
    auto c = make_container_provider(container)->load();
    ASSERT_FALSE(c.has_value());
    EXPECT_NE(c.error().message.find("307"), std::string::npos) << c.error().message;
    Environment imds{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint() + "/redirect/307"}};
    auto i = make_instance_metadata_provider(imds)->load();
    ASSERT_FALSE(i.has_value());
    EXPECT_NE(i.error().message.find("307"), std::string::npos) << i.error().message;
    EXPECT_EQ(hits(), before) << "a signed or credential request reached the redirect's target";
}

TEST_F(Redirects, AResponseOverItsLimitFailsBeforeItIsHeld) {
    auto e = engine();
    for (const char* path : {"/big/200000", "/big-chunked/200000"}) {
        http::Request r(recorder() + path);
        r.max_body = 100000;
        auto refused = e.fetch(std::move(r));
        ASSERT_FALSE(refused.has_value()) << path;
        EXPECT_EQ(refused.error().code, ErrorCode::network) << path;
        EXPECT_NE(refused.error().message.find("larger than the 100000 bytes"), std::string::npos)
            << refused.error().message;
        EXPECT_EQ(refused.error().message.find("attempts"), std::string::npos) << "not retried";
        http::Request fits(recorder() + path);
        fits.max_body = 200000;
        auto ok = e.fetch(std::move(fits));
        ASSERT_TRUE(ok.has_value()) << ok.error().to_string();
        EXPECT_EQ(ok->body.size(), 200000U);
    }
    // The engine's default for memory sinks.
    http::Options small;
    small.max_memory_body = 1000;
    auto limited = http::Engine::create(small);
    ASSERT_TRUE(limited.has_value());
    auto r = limited->fetch(http::Request(recorder() + "/big/5000"));
    EXPECT_FALSE(r.has_value());
}

TEST_F(Redirects, PathAsIsKeepsDotSegments) {
    auto e = engine();
    http::Request folded(recorder() + "/a/../b/./c");
    auto a = e.fetch(std::move(folded));
    ASSERT_TRUE(a.has_value()) << a.error().to_string();
    EXPECT_EQ(nlohmann::json::parse(a->body)["path"], "/b/c");
    http::Request as_is(recorder() + "/a/../b/./c");
    as_is.path_as_is = true;
    auto b = e.fetch(std::move(as_is));
    ASSERT_TRUE(b.has_value()) << b.error().to_string();
    EXPECT_EQ(nlohmann::json::parse(b->body)["path"], "/a/../b/./c");
}

}  // namespace
}  // namespace wheelhouse::s3
