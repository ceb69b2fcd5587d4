// S3 wire formats, addressing, multipart arithmetic and state machine, the sync planner, and the network
// credential documents: everything of the S3 client that needs no server.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "wheelhouse/s3/client.hpp"
#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/s3/multipart.hpp"
#include "wheelhouse/s3/network_credentials.hpp"
#include "wheelhouse/s3/sync.hpp"
#include "wheelhouse/util/crc64.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::s3 {
namespace {

constexpr std::uint64_t mib = 1024 * 1024;

TEST(S3Addressing, PathStyleForIpEndpointsAndVirtualHostForAwsNames) {
    auto local = Endpoint::parse("http://127.0.0.1:9000");
    ASSERT_TRUE(local.has_value());
    auto t = resolve_target(*local, AddressingStyle::automatic, "my-bucket", "dags/a b+c.py");
    EXPECT_EQ(t.host, "127.0.0.1:9000");
    EXPECT_EQ(t.path, "/my-bucket/dags/a%20b%2Bc.py");
    EXPECT_EQ(t.url_prefix, "http://127.0.0.1:9000");

    auto aws = Endpoint::for_region("eu-west-1");
    auto v = resolve_target(aws, AddressingStyle::automatic, "my-bucket", "plugins.zip");
    EXPECT_EQ(v.host, "my-bucket.s3.eu-west-1.amazonaws.com");
    EXPECT_EQ(v.path, "/plugins.zip");
    auto dotted = resolve_target(aws, AddressingStyle::automatic, "my.bucket", "k");
    EXPECT_EQ(dotted.host, "s3.eu-west-1.amazonaws.com") << "dots break the wildcard certificate";
    EXPECT_EQ(dotted.path, "/my.bucket/k");
    auto forced = resolve_target(aws, AddressingStyle::path, "my-bucket", "");
    EXPECT_EQ(forced.path, "/my-bucket/");
    EXPECT_EQ(Endpoint::for_region("cn-north-1").host, "s3.cn-north-1.amazonaws.com.cn");
}

TEST(S3Addressing, EndpointUrlsAreValidated) {
    auto gw = Endpoint::parse("https://Gateway.example.com:443/s3/");
    ASSERT_TRUE(gw.has_value());
    EXPECT_EQ(gw->host, "gateway.example.com");
    EXPECT_EQ(gw->port, 0);
    EXPECT_EQ(gw->base_path, "/s3");
    EXPECT_EQ(resolve_target(*gw, AddressingStyle::path, "b", "k").path, "/s3/b/k");
    auto v6 = Endpoint::parse("http://[::1]:8080");
    ASSERT_TRUE(v6.has_value());
    EXPECT_EQ(v6->authority(), "[::1]:8080");
    for (const char* bad : {"s3.amazonaws.com", "ftp://x", "https://user:pw@host", "https://host?x=1", "https://:99",
                            "https://host:0", "https://host:70000", "https://ho st"}) {
        auto e = Endpoint::parse(bad);
        EXPECT_FALSE(e.has_value()) << bad;
        if (!e) {
            EXPECT_EQ(e.error().to_string().find("pw"), std::string::npos);
        }
    }
}

TEST(S3Addressing, BucketNamesThatCannotBeHostLabels) {
    EXPECT_TRUE(bucket_is_virtual_hostable("mwaa-bucket-1", "https"));
    EXPECT_FALSE(bucket_is_virtual_hostable("ab", "https"));
    EXPECT_FALSE(bucket_is_virtual_hostable("Upper", "https"));
    EXPECT_FALSE(bucket_is_virtual_hostable("a..b", "http"));
    EXPECT_FALSE(bucket_is_virtual_hostable("192.168.1.1", "http"));
    EXPECT_TRUE(bucket_is_virtual_hostable("a.b.c", "http"));
    EXPECT_FALSE(bucket_is_virtual_hostable("a.b.c", "https"));
    EXPECT_FALSE(bucket_is_virtual_hostable("-abc", "https"));
}

TEST(S3Errors, ErrorDocumentsBecomeOneLineWithCodeMessageAndRequestId) {
    auto e = parse_error_document(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>)"
                                  "<Message>Access Denied</Message><RequestId>tx0001</RequestId></Error>");
    ASSERT_TRUE(e.has_value());
    e->status = 403;
    EXPECT_EQ(describe(*e), "AccessDenied: Access Denied (HTTP 403, request id tx0001)");
    // RGW sends an empty <Message/>.
    auto rgw = parse_error_document(
        "<Error><Code>NoSuchBucket</Code><Message></Message><BucketName>b</BucketName>"
        "<RequestId>tx2</RequestId><HostId>h</HostId></Error>");
    ASSERT_TRUE(rgw.has_value());
    rgw->status = 404;
    EXPECT_EQ(describe(*rgw), "NoSuchBucket (HTTP 404, request id tx2)");
    // A HEAD has no body at all.
    ServiceError head;
    head.status = 403;
    EXPECT_EQ(describe(head), "Forbidden (HTTP 403)");
    auto sts = parse_error_document(
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
        "<Message>bad</Message></Error><RequestId>r1</RequestId></ErrorResponse>");
    ASSERT_TRUE(sts.has_value());
    EXPECT_EQ(sts->code, "InvalidIdentityToken");
    EXPECT_EQ(sts->request_id, "r1");
    EXPECT_FALSE(parse_error_document("<ListBucketResult/>").has_value());
    EXPECT_FALSE(parse_error_document("not xml").has_value());
    EXPECT_FALSE(parse_error_document("").has_value());
}

TEST(S3Responses, ListObjectsV2PageWithNamespaceAndQuotedEtags) {
    auto page = parse_list_objects_v2(
        R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>2</KeyCount>)"
        "<IsTruncated>true</IsTruncated><NextContinuationToken>tok+/=</NextContinuationToken>"
        "<Contents><Key>dags/a &amp; b.py</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>"
        "<Contents><Key> </Key><Size>0</Size><ETag>\"d41d\"</ETag></Contents>"
        "<CommonPrefixes><Prefix>dags/sub/</Prefix></CommonPrefixes></ListBucketResult>");
    ASSERT_TRUE(page.has_value()) << page.error().to_string();
    ASSERT_EQ(page->objects.size(), 2U);
    EXPECT_EQ(page->objects[0].key, "dags/a & b.py");
    EXPECT_EQ(page->objects[0].size, 12U);
    EXPECT_EQ(page->objects[0].etag, "abc");
    EXPECT_EQ(page->objects[1].key, " ") << "a key of one space keeps its space";
    EXPECT_TRUE(page->truncated);
    EXPECT_EQ(page->next_continuation_token, "tok+/=");
    EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"dags/sub/"});

    auto endless = parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
    EXPECT_FALSE(endless.has_value()) << "a truncated page without a token would loop forever";
    auto error200 = parse_list_objects_v2("<Error><Code>InternalError</Code></Error>");
    ASSERT_FALSE(error200.has_value());
    EXPECT_NE(error200.error().message.find("InternalError"), std::string::npos);
}

TEST(S3Responses, BucketSettingsAnsweredWithAListingAreNotSupported) {
    const std::string listing = "<ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>";
    auto enc = parse_bucket_encryption(listing);
    ASSERT_TRUE(enc.has_value());
    EXPECT_EQ(enc->availability, Availability::not_supported);
    EXPECT_NE(enc->detail.find("not supported by this server"), std::string::npos) << enc->detail;
    auto pab = parse_public_access_block(listing);
    ASSERT_TRUE(pab.has_value());
    EXPECT_EQ(pab->availability, Availability::not_supported);
    EXPECT_FALSE(pab->all_blocked());
    auto ver = parse_bucket_versioning(listing);
    ASSERT_TRUE(ver.has_value());
    EXPECT_EQ(ver->availability, Availability::not_supported);
}

TEST(S3Responses, BucketSettingsAreRead) {
    auto enc = parse_bucket_encryption(
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms"
        "</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
        "<BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>");
    ASSERT_TRUE(enc.has_value());
    EXPECT_EQ(enc->availability, Availability::configured);
    EXPECT_EQ(enc->algorithm, "aws:kms");
    EXPECT_EQ(enc->kms_key_id, "arn:aws:kms:k");
    EXPECT_TRUE(enc->bucket_key_enabled);
    // RGW 16's root element name.
    auto rgw = parse_public_access_block(
        "<BlockPublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true"
        "</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true"
        "</RestrictPublicBuckets></BlockPublicAccessBlockConfiguration>");
    ASSERT_TRUE(rgw.has_value());
    EXPECT_TRUE(rgw->all_blocked());
    auto partial = parse_public_access_block(
        "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>");
    ASSERT_TRUE(partial.has_value());
    EXPECT_FALSE(partial->all_blocked());
    auto never = parse_bucket_versioning("<VersioningConfiguration/>");
    ASSERT_TRUE(never.has_value());
    EXPECT_EQ(never->status, VersioningStatus::never_enabled);
    auto on = parse_bucket_versioning("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
    ASSERT_TRUE(on.has_value());
    EXPECT_EQ(on->status, VersioningStatus::enabled);
    EXPECT_FALSE(parse_bucket_versioning("<VersioningConfiguration><Status>On</Status></VersioningConfiguration>"));
}

TEST(S3Responses, MultipartDocuments) {
    auto id = parse_initiate_multipart_upload(
        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>2~abc</UploadId>"
        "</InitiateMultipartUploadResult>");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, "2~abc");
    EXPECT_FALSE(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>").has_value());
    auto done = parse_complete_multipart_upload(
        "<CompleteMultipartUploadResult><Location>l</Location><ETag></ETag></CompleteMultipartUploadResult>");
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->etag, "") << "RGW returns an empty ETag";
    // S3 may answer Complete with 200 and an error document.
    auto failed = parse_complete_multipart_upload(
        "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>");
    ASSERT_FALSE(failed.has_value());
    EXPECT_NE(failed.error().message.find("InternalError"), std::string::npos);
    auto uploads = parse_list_multipart_uploads(
        "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated><Upload><Key>k</Key><UploadId>u1</UploadId>"
        "</Upload></ListMultipartUploadsResult>");
    ASSERT_TRUE(uploads.has_value());
    ASSERT_EQ(uploads->uploads.size(), 1U);
    EXPECT_EQ(uploads->uploads[0].upload_id, "u1");
    auto deleted = parse_delete_objects_result(
        "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
        "<Message>no</Message></Error></DeleteResult>");
    ASSERT_TRUE(deleted.has_value());
    EXPECT_EQ(deleted->deleted, std::vector<std::string>{"a"});
    ASSERT_EQ(deleted->errors.size(), 1U);
    EXPECT_EQ(deleted->errors[0].code, "AccessDenied");
}

TEST(S3Requests, BodiesEscapeKeysAndRoundTripThroughTheParser) {
    const std::vector<std::string> keys{"a&b<c>.py", "quote\"'.py", "tab\there", "caf\xc3\xa9"};
    const auto body = build_delete_objects(keys);
    EXPECT_NE(body.find("<Key>a&amp;b&lt;c&gt;.py</Key>"), std::string::npos) << body;
    EXPECT_NE(body.find("&#x9;"), std::string::npos) << body;
    // Parse our own body back: every key survives.
    auto doc = parse_delete_objects_result(
        "<DeleteResult>" + body.substr(body.find("<Object>"), body.rfind("</Delete>") - body.find("<Object>")) +
        "</DeleteResult>");
    ASSERT_TRUE(doc.has_value());
    const auto complete = build_complete_multipart_upload({{1, "\"e1\"", {}}, {2, "\"e2\"", {}}});
    EXPECT_NE(complete.find("<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"), std::string::npos);
    EXPECT_EQ(build_create_bucket_configuration("us-east-1"), "");
    EXPECT_NE(build_create_bucket_configuration("eu-west-1").find("<LocationConstraint>eu-west-1<"), std::string::npos);
    EXPECT_NE(build_versioning_configuration(true).find("<Status>Enabled</Status>"), std::string::npos);
    EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    EXPECT_EQ(base64_encode(*hex_to_bytes(util::sha256_hex("abc"))), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    EXPECT_FALSE(hex_to_bytes("abc").has_value());
    EXPECT_FALSE(hex_to_bytes("zz").has_value());
}

TEST(S3Multipart, PartSizeStaysWithinS3Limits) {
    struct Case {
        std::uint64_t size;
        std::uint64_t preferred;
        std::uint64_t expected;
    };
    const std::vector<Case> cases{
        {100 * mib, 16 * mib, 16 * mib},
        {100 * mib, 1 * mib, 5 * mib},                // at least 5 MiB
        {100 * mib, 6 * 1024 * mib, 5 * 1024 * mib},  // at most 5 GiB
        {200ULL * 1024 * mib, 8 * mib, 21 * mib},     // 200 GiB: 10,000 parts need >= 20.48 MiB
        {max_object_size, 8 * mib, 525 * mib},        // 5 TiB
        {16 * mib + 1, 16 * mib, 16 * mib},
        {10 * mib + 123, 5 * mib + 7, 6 * mib},  // rounded up to a whole MiB
    };
    for (const auto& c : cases) {
        auto size = choose_part_size(c.size, c.preferred);
        ASSERT_TRUE(size.has_value()) << c.size;
        EXPECT_EQ(*size, c.expected) << c.size << " preferred " << c.preferred;
        EXPECT_GE(*size, min_part_size);
        EXPECT_LE(*size, max_part_size);
        EXPECT_LE((c.size + *size - 1) / *size, max_parts) << c.size;
    }
    EXPECT_FALSE(choose_part_size(max_object_size + 1, 8 * mib).has_value());
    const auto parts = split_parts(12 * mib + 5, 5 * mib);
    ASSERT_EQ(parts.size(), 3U);
    EXPECT_EQ(parts[0].number, 1);
    EXPECT_EQ(parts[2].offset, 10 * mib);
    EXPECT_EQ(parts[2].size, 2 * mib + 5);
    EXPECT_EQ(split_parts(0, 5 * mib).size(), 1U);
    EXPECT_EQ(split_parts(10 * mib, 5 * mib).size(), 2U);
}

auto three_parts() -> std::vector<PartRange> {
    return split_parts(12 * mib, 5 * mib);
}

TEST(S3Multipart, AFailedPartIsRetriedAloneThenCompletes) {
    MultipartUpload up(three_parts(), 2);
    EXPECT_EQ(up.state(), MultipartUpload::State::creating);
    EXPECT_TRUE(up.next_parts(10).empty()) << "no part before the upload exists";
    up.on_created("id-1");
    auto first = up.next_parts(10);
    ASSERT_EQ(first.size(), 3U);
    EXPECT_TRUE(up.next_parts(10).empty()) << "in-flight parts are not handed out twice";
    up.on_part_uploaded(1, "\"e1\"");
    up.on_part_failed(2, Error{ErrorCode::network, "reset", {}, {}, {}});
    up.on_part_uploaded(3, "\"e3\"");
    EXPECT_EQ(up.state(), MultipartUpload::State::uploading);
    auto retry = up.next_parts(10);
    ASSERT_EQ(retry.size(), 1U);
    EXPECT_EQ(retry[0].number, 2);
    EXPECT_EQ(up.attempts(2), 2);
    EXPECT_EQ(up.attempts(1), 1);
    up.on_part_uploaded(2, "\"e2\"");
    EXPECT_EQ(up.state(), MultipartUpload::State::completing);
    const auto body = up.completion_body();
    EXPECT_LT(body.find("<PartNumber>1<"), body.find("<PartNumber>2<"));
    EXPECT_LT(body.find("<PartNumber>2<"), body.find("<PartNumber>3<"));
    up.on_completed();
    EXPECT_EQ(up.state(), MultipartUpload::State::completed);
    EXPECT_FALSE(up.error().has_value());
}

TEST(S3Multipart, APartOutOfRoundsAbortsTheUpload) {
    MultipartUpload up(three_parts(), 2);
    up.on_created("id-2");
    (void)up.next_parts(1);
    up.on_part_failed(1, Error{ErrorCode::network, "reset", {}, {}, {}});
    (void)up.next_parts(1);
    up.on_part_failed(1, Error{ErrorCode::network, "reset again", {}, {}, {}});
    EXPECT_EQ(up.state(), MultipartUpload::State::aborting);
    EXPECT_TRUE(up.next_parts(10).empty()) << "nothing more is sent once aborting";
    ASSERT_TRUE(up.error().has_value());
    EXPECT_NE(up.error()->message.find("part 1 failed after 2 rounds"), std::string::npos) << up.error()->message;
    up.on_aborted();
    EXPECT_EQ(up.state(), MultipartUpload::State::aborted);
}

TEST(S3Multipart, CreateFailureNeedsNoAbortAndAbortFailureNamesTheUpload) {
    MultipartUpload a(three_parts(), 3);
    a.on_create_failed(Error{ErrorCode::aws, "AccessDenied", {}, {}, {}});
    EXPECT_EQ(a.state(), MultipartUpload::State::failed);

    MultipartUpload b(three_parts(), 3);
    b.on_created("upload-xyz");
    b.cancel(Error{ErrorCode::aws, "interrupted", {}, {}, {}});
    EXPECT_EQ(b.state(), MultipartUpload::State::aborting);
    b.on_abort_failed(Error{ErrorCode::network, "connection refused", {}, {}, {}});
    EXPECT_EQ(b.state(), MultipartUpload::State::failed);
    ASSERT_TRUE(b.error().has_value());
    EXPECT_NE(b.error()->hint.find("upload-xyz"), std::string::npos);

    MultipartUpload c(three_parts(), 3);
    c.on_created("id");
    (void)c.next_parts(3);
    for (int i = 1; i <= 3; ++i) c.on_part_uploaded(i, "e");
    c.on_complete_failed(Error{ErrorCode::aws, "InvalidPart", {}, {}, {}});
    EXPECT_EQ(c.state(), MultipartUpload::State::aborting) << "a failed Complete must not leave the upload behind";
}

TEST(S3Sync, PlanIsDeterministicAndSkipsOnlyProvenUnchanged) {
    const std::vector<LocalFile> local{
        {"dags/new.py", "/d/new.py", "aa", 1, {}},         {"dags/same.py", "/d/same.py", "bb", 2, {}},
        {"dags/changed.py", "/d/changed.py", "cc", 3, {}}, {"dags/resized.py", "/d/resized.py", "dd", 4, {}},
        {"dags/nohash.py", "/d/nohash.py", "ee", 5, {}},
    };
    const std::vector<RemoteObject> remote{
        {"dags/same.py", 2, "x", std::string("BB"), {}},     {"dags/changed.py", 3, "x", std::string("00"), {}},
        {"dags/resized.py", 40, "x", std::string("dd"), {}}, {"dags/nohash.py", 5, "x", std::nullopt, {}},
        {"dags/gone.py", 9, "x", std::nullopt, {}},
    };
    EXPECT_EQ(keys_to_inspect(local, remote),
              (std::vector<std::string>{"dags/changed.py", "dags/nohash.py", "dags/same.py"}));
    auto plan = plan_sync(local, remote, {});
    std::vector<std::string> up;
    for (const auto& e : plan.upload) up.push_back(e.key);
    EXPECT_EQ(up, (std::vector<std::string>{"dags/changed.py", "dags/new.py", "dags/nohash.py", "dags/resized.py"}));
    ASSERT_EQ(plan.upload_files.size(), plan.upload.size());
    for (std::size_t i = 0; i < plan.upload.size(); ++i) EXPECT_EQ(plan.upload_files[i].key, plan.upload[i].key);
    EXPECT_EQ(plan.upload[0].reason, SyncReason::content_differs);
    EXPECT_EQ(plan.upload[1].reason, SyncReason::new_file);
    EXPECT_EQ(plan.upload[2].reason, SyncReason::no_remote_hash);
    EXPECT_EQ(plan.upload[3].reason, SyncReason::size_differs);
    ASSERT_EQ(plan.skip.size(), 1U);
    EXPECT_EQ(plan.skip[0].key, "dags/same.py");
    EXPECT_TRUE(plan.remove.empty()) << "nothing is deleted without --delete";

    auto with_delete = plan_sync(local, remote, {true});
    ASSERT_EQ(with_delete.remove.size(), 1U);
    EXPECT_EQ(with_delete.remove[0].key, "dags/gone.py");

    // Same answer whatever the input order.
    auto reversed_local = local;
    std::reverse(reversed_local.begin(), reversed_local.end());
    auto reversed_remote = remote;
    std::reverse(reversed_remote.begin(), reversed_remote.end());
    auto again = plan_sync(reversed_local, reversed_remote, {true});
    ASSERT_EQ(again.upload.size(), with_delete.upload.size());
    for (std::size_t i = 0; i < again.upload.size(); ++i) EXPECT_EQ(again.upload[i].key, with_delete.upload[i].key);
    EXPECT_TRUE(plan_sync({}, {}, {true}).empty());
}

TEST(S3Hashing, OneReadGivesTheFileHashAndEveryPartHash) {
    const auto path = std::filesystem::temp_directory_path() / "wh-s3-hash-test.bin";
    std::string data(11 * mib + 3, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 31) & 0xFF);
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    auto d = hash_file(path, 5 * mib);
    ASSERT_TRUE(d.has_value()) << d.error().to_string();
    EXPECT_EQ(d->size, data.size());
    EXPECT_EQ(d->sha256, util::sha256_hex(data));
    ASSERT_EQ(d->part_sha256.size(), 3U);
    const auto parts = split_parts(data.size(), 5 * mib);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        EXPECT_EQ(d->part_sha256[i], util::sha256_hex(std::string_view(data).substr(parts[i].offset, parts[i].size)))
            << "part " << i + 1;
    }
    auto whole_only = hash_file(path, 0);
    ASSERT_TRUE(whole_only.has_value());
    EXPECT_TRUE(whole_only->part_sha256.empty());
    std::filesystem::remove(path);
    auto missing = hash_file(path, 0);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::io);
}

TEST(S3Responses, LifecycleRulesThatAbortIncompleteUploadsAreFoundForThePrefix) {
    auto lc = parse_bucket_lifecycle(
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
        "</Rule>"
        "<Rule><ID>tagged</ID><Filter><And><Prefix></Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>"
        "<Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule>"
        "<Rule><ID>off</ID><Filter/><Status>Disabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>3"
        "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        "<Rule><ID>env</ID><Prefix>env1/</Prefix><Status>Enabled</Status><AbortIncompleteMultipartUpload>"
        "<DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        "<Rule><ID>expire</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days>"
        "</Expiration></Rule>"
        "</LifecycleConfiguration>");
    ASSERT_TRUE(lc.has_value()) << lc.error().to_string();
    EXPECT_EQ(lc->availability, Availability::configured);
    ASSERT_EQ(lc->rules.size(), 5U);
    EXPECT_EQ(lc->abort_rule_for(""), nullptr) << "tagged, disabled and expiry-only rules do not abort uploads";
    ASSERT_NE(lc->abort_rule_for("env1/"), nullptr);
    EXPECT_EQ(lc->abort_rule_for("env1/")->id, "env");
    EXPECT_EQ(*lc->abort_rule_for("logs/x/")->abort_incomplete_days, 1);
    EXPECT_EQ(lc->abort_rule_for("env2/"), nullptr);
    auto all = parse_bucket_lifecycle(
        "<LifecycleConfiguration><Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>"
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
        "</Rule></LifecycleConfiguration>");
    ASSERT_TRUE(all.has_value());
    ASSERT_NE(all->abort_rule_for("any/prefix/"), nullptr);
    // Swift s3api 2.30 answers ?lifecycle with a bucket listing (measured): not supported, never "configured".
    auto swift = parse_bucket_lifecycle("<ListBucketResult><Name>b</Name></ListBucketResult>");
    ASSERT_TRUE(swift.has_value());
    EXPECT_EQ(swift->availability, Availability::not_supported);
}

TEST(S3Requests, CompleteListsPartChecksumsOnlyWhenAsked) {
    MultipartUpload upload(split_parts(12 * mib, 5 * mib), 1);
    upload.on_created("u");
    (void)upload.next_parts(3);
    for (int i = 1; i <= 3; ++i)
        upload.on_part_uploaded(i, "\"e" + std::to_string(i) + "\"", "crc" + std::to_string(i) + "=");
    const auto plain = upload.completion_body();
    EXPECT_EQ(plain.find("Checksum"), std::string::npos) << "Swift s3api refuses unknown elements: " << plain;
    const auto with = upload.completion_body(true);
    EXPECT_NE(with.find("<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag><ChecksumCRC64NVME>crc2="
                        "</ChecksumCRC64NVME></Part>"),
              std::string::npos)
        << with;
}

TEST(S3Sync, TheServersOwnChecksumDecidesOverTheMetadata) {
    const std::string sha = std::string(64, 'a');
    const std::string sha_b64 = base64_encode(*hex_to_bytes(sha));
    const std::vector<LocalFile> local{
        {"same", "/d/same", sha, 10, "CRC="},       {"forged", "/d/forged", sha, 10, "CRC="},
        {"sha", "/d/sha", sha, 10, "CRC="},         {"shabad", "/d/shabad", sha, 10, "CRC="},
        {"crc32", "/d/crc32", sha, 10, "CRC="},     {"composite", "/d/composite", sha, 10, "CRC="},
        {"noneckd", "/d/noneckd", sha, 10, "CRC="},
    };
    auto remote = [&](const std::string& key, std::map<std::string, std::string> checksums) {
        RemoteObject r{key, 10, "e", sha, std::move(checksums)};
        return r;
    };
    const std::vector<RemoteObject> remotes{
        remote("same", {{"crc64nvme", "CRC="}}),
        // The metadata claims the local sha256, but S3 computed another CRC from the bytes it holds.
        remote("forged", {{"crc64nvme", "OTHER="}}),
        // An object an earlier wheelhouse wrote with x-amz-checksum-sha256 (a full-object SHA-256).
        remote("sha", {{"sha256", sha_b64}}),
        remote("shabad", {{"sha256", base64_encode(std::string(32, 'x'))}}),
        remote("crc32", {{"crc32", "AAAAAA=="}}),
        remote("composite", {{"sha256", sha_b64 + "-3"}}),
        remote("noneckd", {}),
    };
    auto plan = plan_sync(local, remotes, {});
    std::map<std::string, SyncReason> reasons;
    for (const auto& e : plan.upload) reasons[e.key] = e.reason;
    for (const auto& e : plan.skip) reasons[e.key] = e.reason;
    EXPECT_EQ(reasons["same"], SyncReason::unchanged);
    EXPECT_EQ(reasons["forged"], SyncReason::checksum_differs);
    EXPECT_EQ(reasons["sha"], SyncReason::unchanged);
    EXPECT_EQ(reasons["shabad"], SyncReason::checksum_differs);
    EXPECT_EQ(reasons["crc32"], SyncReason::checksum_unknown);
    EXPECT_EQ(reasons["composite"], SyncReason::checksum_unknown);
    EXPECT_EQ(reasons["noneckd"], SyncReason::unchanged) << "a server that keeps no checksums: the metadata decides";
}

TEST(S3Hashing, OneReadGivesCrcsOfEveryPartAndTheWholeWithoutPartShasForUnsignedPayloads) {
    const auto path = std::filesystem::temp_directory_path() / "wh-s3-crc-test.bin";
    std::string data(11 * mib + 3, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + i / 7) & 0xFF);
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    auto d = hash_file(path, 5 * mib, false);
    ASSERT_TRUE(d.has_value()) << d.error().to_string();
    EXPECT_EQ(d->sha256, util::sha256_hex(data));
    EXPECT_EQ(d->crc64nvme, util::crc64nvme(data));
    EXPECT_TRUE(d->part_sha256.empty());
    const auto parts = split_parts(data.size(), 5 * mib);
    ASSERT_EQ(d->part_crc64nvme.size(), parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        EXPECT_EQ(d->part_crc64nvme[i], util::crc64nvme(std::string_view(data).substr(parts[i].offset, parts[i].size)));
    }
    auto single = hash_file(path, 0, false);
    ASSERT_TRUE(single.has_value());
    EXPECT_EQ(single->crc64nvme, d->crc64nvme);
    EXPECT_TRUE(single->part_crc64nvme.empty());
    // The header value: 8 bytes big-endian in base64 (the catalogue check value of "123456789").
    EXPECT_EQ(crc64nvme_header(0xAE8B14860A799888ULL), "rosUhgp5mIg=");
    std::filesystem::remove(path);
}

TEST(S3NetworkCredentials, MetadataAndStsDocumentsParseAndNeverQuoteSecrets) {
    auto c = parse_metadata_credentials(R"({"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"sek",)"
                                        R"("Token":"tok","Expiration":"2030-01-02T03:04:05Z"})",
                                        "instance-metadata");
    ASSERT_TRUE(c.has_value()) << c.error().to_string();
    EXPECT_EQ(c->access_key_id, "ASIA1");
    EXPECT_EQ(c->session_token.reveal(), "tok");
    EXPECT_TRUE(c->expiration.has_value());
    auto failed = parse_metadata_credentials(R"({"Code":"AssumeRoleUnauthorizedAccess","SecretAccessKey":"s3cr3t"})",
                                             "instance-metadata");
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().to_string().find("s3cr3t"), std::string::npos);
    auto no_secret = parse_metadata_credentials(R"({"AccessKeyId":"A"})", "container");
    EXPECT_FALSE(no_secret.has_value());
    EXPECT_FALSE(parse_metadata_credentials("[]", "container").has_value());

    auto sts = parse_assume_role_with_web_identity(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA2</AccessKeyId>"
        "<SecretAccessKey>s2</SecretAccessKey><SessionToken>t2</SessionToken>"
        "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
        "</AssumeRoleWithWebIdentityResponse>");
    ASSERT_TRUE(sts.has_value()) << sts.error().to_string();
    EXPECT_EQ(sts->access_key_id, "ASIA2");
    EXPECT_EQ(sts->source, "web-identity");
    EXPECT_FALSE(parse_assume_role_with_web_identity("<Other/>").has_value());
}

TEST(S3NetworkCredentials, UnconfiguredSourcesStepAside) {
    Environment empty;
    auto web = make_web_identity_provider(empty, {}, {})->load();
    ASSERT_TRUE(web.has_value());
    EXPECT_FALSE(web->has_value());
    auto container = make_container_provider(empty)->load();
    ASSERT_TRUE(container.has_value());
    EXPECT_FALSE(container->has_value());
    Environment off{{"AWS_EC2_METADATA_DISABLED", "true"}};
    auto imds = make_instance_metadata_provider(off)->load();
    ASSERT_TRUE(imds.has_value());
    EXPECT_FALSE(imds->has_value());
    Environment no_role{{"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}};
    auto broken = make_web_identity_provider(no_role, {}, {})->load();
    ASSERT_FALSE(broken.has_value()) << "a half-configured source stops the chain";
    EXPECT_NE(broken.error().message.find("role ARN"), std::string::npos);
}

TEST(S3NetworkCredentials, ContainerPlainHttpOnlyToLoopbackAndTheEcsEksAddresses) {
    for (const char* host : {"127.0.0.1", "127.255.0.9", "::1", "0:0:0:0:0:0:0:1", "169.254.170.2", "169.254.170.23",
                             "fd00:ec2::23", "fd00:0ec2:0000::0023", "localhost"}) {
        EXPECT_TRUE(container_http_host_allowed(host)) << host;
    }
    // Names that merely look like loopback resolve wherever their owner wants.
    for (const char* host :
         {"127.0.0.1.nip.io", "127.evil.example", "localhost.evil.example", "127.1", "0x7f000001", "169.254.170.3",
          "169.254.169.254", "::2", "::ffff:10.0.0.1", "fd00:ec2::24", "example.com", ""}) {
        EXPECT_FALSE(container_http_host_allowed(host)) << host;
    }
    // The provider refuses before any request: the token never goes over plain http to such a host.
    Environment env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.nip.io:9/creds"},
                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token-xyz"}};
    auto creds = make_container_provider(env)->load();
    ASSERT_FALSE(creds.has_value());
    EXPECT_EQ(creds.error().code, ErrorCode::aws);
    EXPECT_NE(creds.error().message.find("plain http"), std::string::npos) << creds.error().to_string();
    EXPECT_EQ(creds.error().to_string().find("container-token-xyz"), std::string::npos);
}

TEST(S3Messages, XmlWithADoctypeIsRefused) {
    // Billion laughs: a few hundred bytes that expand to gigabytes when the Key's text is read.
    std::string bomb = R"(<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">)";
    for (int i = 1; i < 10; ++i) {
        bomb +=
            fmt::format(R"(<!ENTITY {} "&{};&{};&{};&{};&{};&{};&{};&{};&{};&{};">)", char('a' + i), char('a' + i - 1),
                        char('a' + i - 1), char('a' + i - 1), char('a' + i - 1), char('a' + i - 1), char('a' + i - 1),
                        char('a' + i - 1), char('a' + i - 1), char('a' + i - 1), char('a' + i - 1));
    }
    bomb += R"(]><ListBucketResult><Contents><Key>&j;</Key><Size>1</Size></Contents></ListBucketResult>)";
    auto list = parse_list_objects_v2(bomb);
    ASSERT_FALSE(list.has_value());
    EXPECT_EQ(list.error().code, ErrorCode::aws);
    EXPECT_NE(list.error().message.find("DOCTYPE"), std::string::npos) << list.error().message;
    EXPECT_FALSE(parse_error_document(
                     R"(<!DOCTYPE Error SYSTEM "http://127.0.0.1:9/x.dtd"><Error><Code>AccessDenied</Code></Error>)")
                     .has_value());
    auto sts =
        parse_assume_role_with_web_identity(R"(<!DOCTYPE x [<!ENTITY e "v">]><AssumeRoleWithWebIdentityResponse/>)");
    ASSERT_FALSE(sts.has_value());
    EXPECT_NE(sts.error().message.find("DOCTYPE"), std::string::npos);
    // The same documents without a DOCTYPE still parse.
    EXPECT_TRUE(parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>"
                                      "</ListBucketResult>")
                    .has_value());
}

TEST(S3NetworkCredentials, TokenFilesMustBeSmallRegularFiles) {
    const auto dir = std::filesystem::temp_directory_path() / ("wh-token-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto big = dir / "big";
    std::ofstream(big) << std::string(200 * 1024, 'a');
    // /dev/zero never ends, a FIFO without a writer blocks a plain read: both are refused without reading.
    for (const auto& file : {std::filesystem::path("/dev/zero"), fifo, big, dir}) {
        Environment web{{"AWS_WEB_IDENTITY_TOKEN_FILE", file.string()},
                        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
                        {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"}};
        auto w = make_web_identity_provider(web, {}, {})->load();
        ASSERT_FALSE(w.has_value()) << file;
        EXPECT_EQ(w.error().code, ErrorCode::aws);
        EXPECT_TRUE(w.error().message.find("not a regular file") != std::string::npos ||
                    w.error().message.find("larger than") != std::string::npos)
            << w.error().message;
        Environment container{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file.string()}};
        auto c = make_container_provider(container)->load();
        ASSERT_FALSE(c.has_value()) << file;
        EXPECT_TRUE(c.error().message.find("not a regular file") != std::string::npos ||
                    c.error().message.find("larger than") != std::string::npos)
            << c.error().message;
    }
    std::filesystem::remove_all(dir);
}

TEST(S3Client, RefusesUnencryptedUploadsUnlessAllowedAndNeedsCredentials) {
    auto none = Client::create(Credentials{}, {});
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, ErrorCode::aws);
    Credentials c;
    c.access_key_id = "AKIDEXAMPLE";
    c.secret_access_key = util::Secret("secret-value-123");
    ClientOptions o;
    o.endpoint = *Endpoint::parse("http://127.0.0.1:9");
    auto client = Client::create(c, o);
    ASSERT_TRUE(client.has_value()) << client.error().to_string();
    PutOptions plain;
    plain.encryption = Encryption::none;
    auto refused = client->put_object("b", "k", "x", plain);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::usage);
    EXPECT_EQ(client->part_size_for(1 * mib), 0U);
    EXPECT_EQ(client->part_size_for(100 * mib), 16 * mib);
}

}  // namespace
}  // namespace wheelhouse::s3
