#include "wheelhouse/s3/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>

#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {
namespace {

auto method_text(http::Method m) -> const char* {
    switch (m) {
        case http::Method::get: return "GET";
        case http::Method::head: return "HEAD";
        case http::Method::put: return "PUT";
        case http::Method::post: return "POST";
        case http::Method::delete_: return "DELETE";
    }
    return "GET";
}

auto s3_uri(std::string_view bucket, std::string_view key) -> std::string {
    return key.empty() ? fmt::format("s3://{}", bucket) : fmt::format("s3://{}/{}", bucket, key);
}

// An error found in a server's answer (a malformed document) names the resource it was about.
auto about(std::string_view bucket, std::string_view key, Error error) -> Unexpected<Error> {
    error.message = fmt::format("{}: {}", s3_uri(bucket, key), error.message);
    return unexpected(std::move(error));
}

constexpr std::string_view not_s3_hint =
    "the endpoint is not an S3 API or a proxy changed the answer; check --endpoint-url";

auto strip_quotes(std::string text) -> std::string {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') return text.substr(1, text.size() - 2);
    return text;
}

// One S3 call before signing.
struct Call {
    std::string operation;  // "PutObject", for messages
    http::Method method = http::Method::get;
    std::string bucket;
    std::string key;
    std::vector<QueryParam> query;
    std::vector<Header> headers;
    http::Body body;
    std::string payload_hash = std::string(empty_payload_sha256);
    http::Sink sink;
    std::uint64_t max_body = http::max_document_bytes;  // for a memory sink: XML answers, small objects
};

auto xml_body_call(std::string operation, http::Method method, std::string bucket, std::vector<QueryParam> query,
                   std::string body) -> Call {
    Call c;
    c.operation = std::move(operation);
    c.method = method;
    c.bucket = std::move(bucket);
    c.query = std::move(query);
    if (!body.empty()) {
        c.headers.push_back({"Content-Type", "application/xml"});
        c.headers.push_back({"Content-MD5", md5_base64(body)});
        c.payload_hash = util::sha256_hex(body);
        c.body = http::Body::memory(std::move(body));
    } else if (method == http::Method::put || method == http::Method::post) {
        c.body = http::Body::memory({});
    }
    return c;
}

auto encryption_headers(const PutOptions& options, std::string_view bucket, std::string_view key)
    -> Expected<std::vector<Header>> {
    std::vector<Header> h;
    switch (options.encryption) {
        case Encryption::aws_kms:
            h.push_back({"x-amz-server-side-encryption", "aws:kms"});
            if (!options.kms_key_id.empty()) {
                h.push_back({"x-amz-server-side-encryption-aws-kms-key-id", options.kms_key_id});
            }
            break;
        case Encryption::aes256: h.push_back({"x-amz-server-side-encryption", "AES256"}); break;
        case Encryption::none:
            if (!options.allow_unencrypted) {
                return make_error(
                    ErrorCode::usage,
                    fmt::format("refusing to upload {} without server-side encryption", s3_uri(bucket, key)), {},
                    "pass a KMS key with --kms-key-id, or --no-encryption to upload without "
                    "server-side encryption");
            }
            break;
    }
    return h;
}

auto metadata_headers(const PutOptions& options, std::string_view sha256) -> std::vector<Header> {
    std::vector<Header> h;
    if (!options.content_type.empty()) h.push_back({"Content-Type", options.content_type});
    for (const auto& [name, value] : options.metadata) {
        if (util::iequals(name, "sha256")) continue;
        h.push_back({fmt::format("x-amz-meta-{}", util::to_lower(name)), value});
    }
    h.push_back({"x-amz-meta-sha256", std::string(sha256)});
    return h;
}

auto object_info_from(const http::Response& r) -> ObjectInfo {
    ObjectInfo info;
    for (const auto& [name, value] : r.headers) {
        if (name == "content-length") {
            info.size = util::parse_uint64(value).value_or(0);
        } else if (name == "etag") {
            info.etag = strip_quotes(value);
        } else if (name == "x-amz-version-id") {
            info.version_id = value;
        } else if (name == "last-modified") {
            info.last_modified = value;
        } else if (name == "content-type") {
            info.content_type = value;
        } else if (name == "x-amz-server-side-encryption") {
            info.sse = value;
        } else if (name == "x-amz-server-side-encryption-aws-kms-key-id") {
            info.kms_key_id = value;
        } else if (name.starts_with("x-amz-meta-")) {
            info.metadata[name.substr(11)] = value;
        }
    }
    return info;
}

auto put_result_from(const http::Response& r, std::string sha256) -> PutResult {
    PutResult out;
    out.etag = strip_quotes(r.header("etag").value_or(""));
    out.version_id = r.header("x-amz-version-id").value_or("");
    out.sse = r.header("x-amz-server-side-encryption").value_or("");
    out.kms_key_id = r.header("x-amz-server-side-encryption-aws-kms-key-id").value_or("");
    out.sha256 = std::move(sha256);
    return out;
}

auto default_http_options(http::Options o) -> http::Options {
    // A part of 16 MiB on a slow uplink needs more than the engine's default per-request budget.
    o.total_timeout = std::max<std::chrono::milliseconds>(o.total_timeout, std::chrono::minutes(15));
    o.user_agent = "wheelhouse (s3)";
    return o;
}

}  // namespace

namespace {

// sha256 of `size` bytes of `path` from `offset` (all of it from there when size is nullopt); the byte count
// read goes to *count.
auto hash_range(const std::filesystem::path& path, std::uint64_t offset, std::optional<std::uint64_t> size,
                std::uint64_t* count) -> Expected<std::string> {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot read {}: {}", path.string(), std::generic_category().message(errno)), {},
                          "check the path and its permissions");
    }
    if (offset != 0 && ::fseeko(file.get(), static_cast<off_t>(offset), SEEK_SET) != 0) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot read {} from byte {}: {}", path.string(), offset,
                                      std::generic_category().message(errno)),
                          {}, "check that the file is a regular file and was not truncated");
    }
    util::Sha256 hasher;
    std::vector<char> buffer(1 << 20);
    std::uint64_t done = 0;
    while (!size || done < *size) {
        const std::size_t want =
            size ? static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), *size - done)) : buffer.size();
        const std::size_t n = std::fread(buffer.data(), 1, want, file.get());
        if (n == 0) break;
        hasher.update(buffer.data(), n);
        done += n;
    }
    if (std::ferror(file.get()) != 0) {
        return make_error(ErrorCode::io,
                          fmt::format("cannot read {}: {}", path.string(), std::generic_category().message(errno)), {},
                          "check the disk or file system holding the file (a read error)");
    }
    if (count != nullptr) *count = done;
    return hasher.finish_hex();
}

}  // namespace

auto hash_file(const std::filesystem::path& path, std::uint64_t part_size) -> Expected<FileDigest> {
    std::error_code ec;
    const auto expected_size = std::filesystem::file_size(path, ec);
    if (ec) {
        return make_error(ErrorCode::io, fmt::format("cannot read {}: {}", path.string(), ec.message()), {},
                          "check the path and its permissions");
    }
    FileDigest d;
    d.part_size = part_size;
    // The whole-file digest on one thread and the part digests (independent of each other) on the others: for
    // a large bundle this pass precedes the upload, so its wall time counts.
    std::uint64_t whole_count = 0;
    auto whole = std::async(std::launch::async, [&] { return hash_range(path, 0, std::nullopt, &whole_count); });
    const auto parts = split_parts(expected_size, part_size);
    std::vector<std::optional<Expected<std::string>>> part_digests(parts.size());
    std::atomic<std::size_t> next{0};
    const std::size_t workers =
        parts.empty() ? 0 : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8) - 1;
    {
        std::vector<std::jthread> pool;
        for (std::size_t w = 0; w < std::min(workers, parts.size()); ++w) {
            pool.emplace_back([&] {
                for (std::size_t i = next++; i < parts.size(); i = next++) {
                    std::uint64_t got = 0;
                    auto digest = hash_range(path, parts[i].offset, parts[i].size, &got);
                    if (digest && got != parts[i].size) {
                        digest = make_error(
                            ErrorCode::io, fmt::format("{} changed while it was read", path.string()), {},
                            "something is writing to the file: wait until it is finished, then run the command again");
                    }
                    part_digests[i] = std::move(digest);
                }
            });
        }
    }
    auto whole_digest = whole.get();
    if (!whole_digest) return unexpected(std::move(whole_digest).error());
    if (whole_count != expected_size) {
        return make_error(ErrorCode::io, fmt::format("{} changed while it was read", path.string()), {},
                          "something is writing to the file: wait until it is finished, then run the command again");
    }
    d.size = whole_count;
    d.sha256 = std::move(*whole_digest);
    for (auto& digest : part_digests) {
        if (!*digest) return unexpected(std::move(*digest).error());
        d.part_sha256.push_back(std::move(**digest));
    }
    return d;
}

struct Client::Impl {
    Credentials credentials;
    ClientOptions settings;
    Endpoint endpoint;
    http::Engine engine;

    Impl(Credentials c, ClientOptions o, Endpoint e, http::Engine en)
        : credentials(std::move(c)), settings(std::move(o)), endpoint(std::move(e)), engine(std::move(en)) {}

    auto build(Call& call) -> Expected<http::Request> {
        const Target target = resolve_target(endpoint, settings.addressing, call.bucket, call.key);
        HttpRequest to_sign;
        to_sign.method = method_text(call.method);
        to_sign.path = target.path;
        to_sign.query = call.query;
        to_sign.headers = call.headers;
        to_sign.headers.push_back({"Host", target.host});
        auto config = SigningConfig::for_s3(settings.region, format_amz_date(std::chrono::system_clock::now()));
        auto signed_request = sign_request(to_sign, call.payload_hash, credentials, config);
        if (!signed_request) return unexpected(std::move(signed_request).error());
        http::Request r;
        r.url = target.url_prefix + target.path;
        if (!call.query.empty()) r.url += "?" + canonical_query_string(call.query);
        r.method = call.method;
        r.error_status_is_error = false;
        r.follow_redirects = false;  // signed for this URL: a 3xx is the server's answer (as in the AWS SDKs)
        r.path_as_is = true;         // the key as signed: "a/../b" is its own object, not "b"
        if (call.sink.kind == http::Sink::Kind::memory) r.max_body = call.max_body;

        for (const auto& h : to_sign.headers) r.headers.emplace_back(h.name, h.value);
        for (const auto& h : signed_request->added_headers) r.headers.emplace_back(h.name, h.value);
        r.body = std::move(call.body);
        r.sink = std::move(call.sink);
        return r;
    }

    // The server's error (status != 2xx) as an aws Error naming the operation and the resource.
    auto service_error(const Call& call, const http::Response& response) const -> Error {
        ServiceError e = parse_error_document(response.body).value_or(ServiceError{});
        e.status = response.status;
        if (e.request_id.empty()) e.request_id = response.header("x-amz-request-id").value_or("");
        std::string hint;
        if (e.code == "SignatureDoesNotMatch") {
            hint = fmt::format("the secret access key (from {}) does not match the access key id {}",
                               credentials.source.empty() ? "the credential chain" : credentials.source,
                               credentials.access_key_id);
        } else if (e.code == "InvalidAccessKeyId") {
            hint = fmt::format("the server does not know the access key id {} (from {})", credentials.access_key_id,
                               credentials.source.empty() ? "the credential chain" : credentials.source);
        } else if (e.code == "RequestTimeTooSkewed") {
            hint = "the local clock is off by more than 15 minutes: set the time (e.g. enable NTP) and run again";
        } else if (e.code == "NoSuchBucket") {
            hint = "check --bucket, --region and --endpoint-url";
        } else if (e.code == "AccessDenied" || e.code == "AllAccessDisabled" ||
                   (e.code.empty() && response.status == 403)) {
            hint = fmt::format(
                "check that the IAM policy of the credentials (from {}), the bucket policy and, with KMS, the key "
                "policy allow {} on this bucket",
                credentials.source.empty() ? "the credential chain" : credentials.source, call.operation);
        } else if (e.code == "ExpiredToken" || e.code == "TokenRefreshRequired" || e.code == "InvalidToken") {
            hint = fmt::format(
                "the session token (from {}) has expired or is invalid: refresh the credentials "
                "(e.g. aws sso login) and run again",
                credentials.source.empty() ? "the credential chain" : credentials.source);
        } else if (e.code == "PermanentRedirect" || e.code == "AuthorizationHeaderMalformed" ||
                   e.code == "IllegalLocationConstraintException" || (e.code.empty() && response.status == 301)) {
            hint = fmt::format("the bucket is in another region than {}: pass --region with the bucket's region",
                               settings.region);
        } else if (e.code == "SlowDown" || e.code == "ServiceUnavailable" || e.code == "InternalError") {
            hint = "the server is busy or failed: run the command again later";
        } else if (e.code.starts_with("KMS.") || e.code == "KMSAccessDenied") {
            hint = "check --kms-key-id and that the credentials may use the key (kms:GenerateDataKey, kms:Decrypt)";
        } else if (e.code == "BucketAlreadyExists") {
            hint = "bucket names are global and another account owns this one: choose another name";
        } else if (e.code == "NoSuchUpload") {
            hint = "the multipart upload was aborted or completed meanwhile (another process?): run the command again";
        } else if (response.status == 501 || e.code == "NotImplemented") {
            hint = fmt::format("the server at {} does not implement {}: check --endpoint-url", endpoint.host,
                               call.operation);
        }
        std::string message = fmt::format("{} {}: {}", call.operation, s3_uri(call.bucket, call.key), describe(e));
        if (response.status == 501 || e.code == "NotImplemented") {
            message += " — not supported by this server";
        }
        return Error{ErrorCode::aws, util::redact_urls_in(message), {}, std::move(hint), {}};
    }

    auto send(Call call) -> Expected<http::Response> {
        auto request = build(call);
        if (!request) return unexpected(std::move(request).error());
        auto response = engine.fetch(std::move(*request));
        if (!response) return response;
        if (!response->ok()) return unexpected(service_error(call, *response));
        return response;
    }

    // Sends many calls in parallel; one result per call (non-2xx answers become errors).
    auto send_all(std::vector<Call> calls) -> std::vector<Expected<http::Response>> {
        std::vector<Expected<http::Response>> results(calls.size(),
                                                      make_error(ErrorCode::internal, "request not sent"));
        std::vector<http::Request> requests;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < calls.size(); ++i) {
            auto r = build(calls[i]);
            if (!r) {
                results[i] = unexpected(std::move(r).error());
                continue;
            }
            requests.push_back(std::move(*r));
            index.push_back(i);
        }
        auto responses = engine.run(std::move(requests));
        for (std::size_t j = 0; j < responses.size(); ++j) {
            const std::size_t i = index[j];
            if (responses[j] && !responses[j]->ok()) {
                results[i] = unexpected(service_error(calls[i], *responses[j]));
            } else {
                results[i] = std::move(responses[j]);
            }
        }
        return results;
    }

    // A bucket sub-resource GET whose "not configured" and "not implemented" answers are values, not errors.
    template <class T, class Parse>
    auto bucket_setting(std::string_view bucket, std::string_view subresource, std::string_view operation,
                        std::initializer_list<std::string_view> not_configured_codes, Parse parse) -> Expected<T> {
        Call call;
        call.operation = std::string(operation);
        call.bucket = std::string(bucket);
        call.query.push_back({std::string(subresource), ""});
        auto request = build(call);
        if (!request) return unexpected(std::move(request).error());
        auto response = engine.fetch(std::move(*request));
        if (!response) return unexpected(std::move(response).error());
        if (response->ok()) {
            Expected<T> parsed = parse(response->body);
            if (!parsed) return about(bucket, {}, std::move(parsed).error());
            return parsed;
        }
        const auto doc = parse_error_document(response->body).value_or(ServiceError{});
        T value;
        for (auto code : not_configured_codes) {
            if (doc.code == code) {
                value.availability = Availability::not_configured;
                return value;
            }
        }
        if (response->status == 501 || response->status == 405 || doc.code == "NotImplemented") {
            value.availability = Availability::not_supported;
            value.detail = service_error(call, *response).message;
            return value;
        }
        return unexpected(service_error(call, *response));
    }

    auto put_single_file(std::string_view bucket, std::string_view key, const std::filesystem::path& path,
                         const PutOptions& options, const FileDigest& digest) -> Expected<PutResult> {
        auto sse = encryption_headers(options, bucket, key);
        if (!sse) return unexpected(std::move(sse).error());
        Call call;
        call.operation = "PutObject";
        call.method = http::Method::put;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        call.headers = metadata_headers(options, digest.sha256);
        call.headers.insert(call.headers.end(), sse->begin(), sse->end());
        call.headers.push_back({"x-amz-checksum-sha256", base64_encode(hex_to_bytes(digest.sha256).value_or(""))});
        call.payload_hash = digest.sha256;
        call.body = http::Body::file_range(path, 0, digest.size);
        auto response = send(std::move(call));
        if (!response) return unexpected(std::move(response).error());
        return put_result_from(*response, digest.sha256);
    }

    auto upload_multipart(std::string_view bucket, std::string_view key, const std::filesystem::path& path,
                          const PutOptions& options, const FileDigest& digest, UploadObserver* observer)
        -> Expected<PutResult> {
        auto sse = encryption_headers(options, bucket, key);
        if (!sse) return unexpected(std::move(sse).error());
        MultipartUpload upload(split_parts(digest.size, digest.part_size), options_part_rounds());

        Call create;
        create.operation = "CreateMultipartUpload";
        create.method = http::Method::post;
        create.bucket = std::string(bucket);
        create.key = std::string(key);
        create.query.push_back({"uploads", ""});
        create.headers = metadata_headers(options, digest.sha256);
        create.headers.insert(create.headers.end(), sse->begin(), sse->end());
        create.body = http::Body::memory({});
        auto created = send(std::move(create));
        if (!created) {
            upload.on_create_failed(std::move(created).error());
        } else {
            auto id = parse_initiate_multipart_upload(created->body);
            if (!id) {
                upload.on_create_failed(about(bucket, key, std::move(id).error()).error);
            } else {
                upload.on_created(std::move(*id));
            }
        }
        PutResult result;
        result.sse = created ? created->header("x-amz-server-side-encryption").value_or("") : "";
        result.kms_key_id = created ? created->header("x-amz-server-side-encryption-aws-kms-key-id").value_or("") : "";

        std::uint64_t bytes_done = 0;
        // Parts go in waves so that each is signed shortly before it is sent (a signature is valid 15 min): a
        // wave holds at most 512 MiB, and at least one part per connection. Each wave ends with connections
        // idle while its last parts finish, so a wave should also hold several parts per connection.
        const std::uint64_t wave_bytes = 512ULL << 20;
        const std::size_t wave = std::max<std::size_t>(
            options_parallel(),
            std::min<std::size_t>(options_parallel() * 4,
                                  static_cast<std::size_t>(wave_bytes / std::max<std::uint64_t>(1, digest.part_size))));
        while (upload.state() == MultipartUpload::State::uploading) {
            if (options.cancel != nullptr && options.cancel->load()) {
                upload.cancel(Error{
                    ErrorCode::aws, "the upload was interrupted", {}, "run the command again to upload the file", {}});
                break;
            }
            const auto batch = upload.next_parts(wave);
            std::vector<Call> calls;
            for (const auto& part : batch) {
                Call c;
                c.operation = fmt::format("UploadPart {}", part.number);
                c.method = http::Method::put;
                c.bucket = std::string(bucket);
                c.key = std::string(key);
                c.query.push_back({"partNumber", std::to_string(part.number)});
                c.query.push_back({"uploadId", upload.upload_id()});
                c.payload_hash = digest.part_sha256[static_cast<std::size_t>(part.number - 1)];
                c.body = http::Body::file_range(path, part.offset, part.size);
                calls.push_back(std::move(c));
            }
            auto results = send_all(std::move(calls));
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const int number = batch[i].number;
                auto& r = results[i];
                if (r) {
                    auto etag = r->header("etag");
                    if (etag && !etag->empty()) {
                        bytes_done += batch[i].size;
                        upload.on_part_uploaded(number, *etag);
                        if (observer != nullptr) observer->on_part_done(number, bytes_done, digest.size);
                        continue;
                    }
                    r = make_error(
                        ErrorCode::aws,
                        fmt::format("UploadPart {} {}: the server sent no ETag", number, s3_uri(bucket, key)), {},
                        std::string(not_s3_hint));
                }
                if (observer != nullptr) observer->on_part_retry(number, r.error());
                upload.on_part_failed(number, std::move(r).error());
            }
        }

        if (upload.state() == MultipartUpload::State::completing) {
            auto body = upload.completion_body();
            Call complete = xml_body_call("CompleteMultipartUpload", http::Method::post, std::string(bucket),
                                          {{"uploadId", upload.upload_id()}}, std::move(body));
            complete.key = std::string(key);
            auto done = send(std::move(complete));
            if (!done) {
                upload.on_complete_failed(std::move(done).error());
            } else if (auto parsed = parse_complete_multipart_upload(done->body); !parsed) {
                upload.on_complete_failed(about(bucket, key, std::move(parsed).error()).error);
            } else {
                upload.on_completed();
                result.etag = parsed->etag;
                result.version_id = done->header("x-amz-version-id").value_or("");
                if (auto s = done->header("x-amz-server-side-encryption")) result.sse = *s;
                if (auto k = done->header("x-amz-server-side-encryption-aws-kms-key-id")) result.kms_key_id = *k;
            }
        }
        if (upload.state() == MultipartUpload::State::aborting) {
            auto aborted = abort(bucket, key, upload.upload_id());
            if (aborted) {
                upload.on_aborted();
            } else {
                upload.on_abort_failed(std::move(aborted).error());
            }
        }
        if (upload.state() != MultipartUpload::State::completed) {
            Error e = upload.error().value_or(Error{ErrorCode::internal, "multipart upload failed", {}, {}, {}});
            if (upload.state() == MultipartUpload::State::aborted) {
                e.message = fmt::format("multipart upload of {} aborted (no object written): {}", s3_uri(bucket, key),
                                        e.message);
            } else if (upload.state() == MultipartUpload::State::failed && !upload.upload_id().empty()) {
                // The abort failed too: the parts stay (and are billed) until someone removes them.
                e.hint = fmt::format(
                    "remove the unfinished upload with: aws s3api abort-multipart-upload --bucket {} --key {} "
                    "--upload-id {}",
                    bucket, key, upload.upload_id());
            }
            return unexpected(std::move(e));
        }
        result.sha256 = digest.sha256;
        result.parts = upload.parts().size();
        if (result.version_id.empty()) {
            // Swift s3api's Complete carries no x-amz-version-id; the object's HEAD does. It is ours if its
            // ETag is the one Complete returned (a concurrent writer would show a different one).
            auto head = head_latest(bucket, key);
            if (head && *head && (result.etag.empty() || (*head)->etag == result.etag)) {
                result.version_id = (*head)->version_id;
                if (result.sse.empty()) result.sse = (*head)->sse;
                if (result.kms_key_id.empty()) result.kms_key_id = (*head)->kms_key_id;
            }
        }
        return result;
    }

    auto head_latest(std::string_view bucket, std::string_view key) -> Expected<std::optional<ObjectInfo>> {
        Call call;
        call.operation = "HeadObject";
        call.method = http::Method::head;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        auto r = send(std::move(call));
        if (!r) return unexpected(std::move(r).error());
        return std::optional<ObjectInfo>(object_info_from(*r));
    }

    auto abort(std::string_view bucket, std::string_view key, std::string_view upload_id) -> Expected<void> {
        Call call;
        call.operation = "AbortMultipartUpload";
        call.method = http::Method::delete_;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        call.query.push_back({"uploadId", std::string(upload_id)});
        auto r = send(std::move(call));
        if (!r) return unexpected(std::move(r).error());
        return {};
    }

    [[nodiscard]] auto options_parallel() const -> std::size_t {
        return std::max<std::size_t>(1, settings.max_parallel_parts);
    }
    [[nodiscard]] auto options_part_rounds() const -> int { return std::max(1, settings.part_rounds); }
};

Client::Client(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
auto Client::operator=(Client&&) noexcept -> Client& = default;

auto Client::create(Credentials credentials, ClientOptions options) -> Expected<Client> {
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
        return make_error(
            ErrorCode::aws,
            fmt::format("no AWS credentials{}", credentials.source.empty()
                                                    ? std::string()
                                                    : fmt::format(" (empty keys from {})", credentials.source)),
            {}, "set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or use --profile");
    }
    if (options.region.empty()) options.region = "us-east-1";
    Endpoint endpoint = options.endpoint ? *options.endpoint : Endpoint::for_region(options.region);
    auto http_options = default_http_options(options.http);
    http_options.max_concurrency = std::max(http_options.max_concurrency, options.max_parallel_parts);
    http_options.max_per_host = std::max(http_options.max_per_host, options.max_parallel_parts);
    // An explicit http:// endpoint is the user's choice (the AWS CLI allows it): trust that one host only.
    // Virtual-host requests go to bucket.host, so the host is trusted on that port for any name under it too.
    if (endpoint.scheme == "http") {
        const long port = endpoint.port != 0 ? endpoint.port : 80;
        http_options.trusted_hosts.push_back(fmt::format("{}:{}", endpoint.host, port));
    }
    auto engine = http::Engine::create(std::move(http_options));
    if (!engine) return unexpected(std::move(engine).error());
    return Client(
        std::make_unique<Impl>(std::move(credentials), std::move(options), std::move(endpoint), std::move(*engine)));
}

auto Client::options() const -> const ClientOptions& {
    return m_impl->settings;
}

auto Client::part_size_for(std::uint64_t size) const -> std::uint64_t {
    if (size < m_impl->settings.multipart_threshold) return 0;
    return choose_part_size(size, m_impl->settings.part_size).value_or(max_part_size);
}

auto Client::put_object(std::string_view bucket, std::string_view key, std::string body, const PutOptions& options)
    -> Expected<PutResult> {
    auto sse = encryption_headers(options, bucket, key);
    if (!sse) return unexpected(std::move(sse).error());
    const std::string sha = util::sha256_hex(body);
    Call call;
    call.operation = "PutObject";
    call.method = http::Method::put;
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.headers = metadata_headers(options, sha);
    call.headers.insert(call.headers.end(), sse->begin(), sse->end());
    call.headers.push_back({"x-amz-checksum-sha256", base64_encode(hex_to_bytes(sha).value_or(""))});
    call.payload_hash = sha;
    call.body = http::Body::memory(std::move(body));
    auto response = m_impl->send(std::move(call));
    if (!response) return unexpected(std::move(response).error());
    return put_result_from(*response, sha);
}

auto Client::upload_file(std::string_view bucket, std::string_view key, const std::filesystem::path& path,
                         const PutOptions& options, std::optional<FileDigest> digest, UploadObserver* observer)
    -> Expected<PutResult> {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        return make_error(ErrorCode::io, fmt::format("cannot read {}: {}", path.string(), ec.message()), {},
                          "check the path and its permissions");
    }
    const std::uint64_t part_size = part_size_for(size);
    if (size > max_object_size) {
        return make_error(
            ErrorCode::usage,
            fmt::format("{} is larger than S3's 5 TiB object limit (upload to {})", path.string(), s3_uri(bucket, key)),
            {}, "upload a smaller file: S3 cannot store more than 5 TiB in one object");
    }
    if (!digest || digest->size != size || (part_size != 0 && digest->part_size != part_size)) {
        auto fresh = hash_file(path, part_size);
        if (!fresh) return unexpected(std::move(fresh).error());
        digest = std::move(*fresh);
    }
    if (digest->size != size) {
        return make_error(ErrorCode::io, fmt::format("{} changed while it was being read", path.string()), {},
                          "something is writing to the file: wait until it is finished, then run the command again");
    }
    if (part_size == 0) return m_impl->put_single_file(bucket, key, path, options, *digest);
    return m_impl->upload_multipart(bucket, key, path, options, *digest, observer);
}

auto Client::head_object(std::string_view bucket, std::string_view key, std::string_view version_id)
    -> Expected<std::optional<ObjectInfo>> {
    Call call;
    call.operation = "HeadObject";
    call.method = http::Method::head;
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    if (!version_id.empty()) call.query.push_back({"versionId", std::string(version_id)});
    auto request = m_impl->build(call);
    if (!request) return unexpected(std::move(request).error());
    auto response = m_impl->engine.fetch(std::move(*request));
    if (!response) return unexpected(std::move(response).error());
    if (response->status == 404) return std::optional<ObjectInfo>{};
    if (!response->ok()) return unexpected(m_impl->service_error(call, *response));
    return std::optional<ObjectInfo>(object_info_from(*response));
}

auto Client::head_objects(std::string_view bucket, const std::vector<std::string>& keys)
    -> std::vector<Expected<std::optional<ObjectInfo>>> {
    std::vector<Call> calls;
    for (const auto& key : keys) {
        Call c;
        c.operation = "HeadObject";
        c.method = http::Method::head;
        c.bucket = std::string(bucket);
        c.key = key;
        calls.push_back(std::move(c));
    }
    auto results = m_impl->send_all(std::move(calls));
    std::vector<Expected<std::optional<ObjectInfo>>> out;
    out.reserve(results.size());
    for (auto& r : results) {
        if (r) {
            out.emplace_back(std::optional<ObjectInfo>(object_info_from(*r)));
        } else if (r.error().code == ErrorCode::aws && r.error().message.find("HTTP 404") != std::string::npos) {
            out.emplace_back(std::optional<ObjectInfo>{});
        } else {
            out.emplace_back(unexpected(std::move(r).error()));
        }
    }
    return out;
}

auto Client::get_object(std::string_view bucket, std::string_view key, std::string_view version_id)
    -> Expected<std::string> {
    Call call;
    call.operation = "GetObject";
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.max_body = http::max_index_page_bytes;  // the objects read back whole are a mirror's index files
    if (!version_id.empty()) call.query.push_back({"versionId", std::string(version_id)});
    auto r = m_impl->send(std::move(call));
    if (!r) return unexpected(std::move(r).error());
    return std::move(r->body);
}

auto Client::list_objects_page(std::string_view bucket, std::string_view prefix, int max_keys,
                               std::string_view continuation_token) -> Expected<ListObjectsPage> {
    Call call;
    call.operation = "ListObjectsV2";
    call.bucket = std::string(bucket);
    call.query.push_back({"list-type", "2"});
    call.query.push_back({"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))});
    if (!prefix.empty()) call.query.push_back({"prefix", std::string(prefix)});
    if (!continuation_token.empty()) call.query.push_back({"continuation-token", std::string(continuation_token)});
    auto r = m_impl->send(std::move(call));
    if (!r) return unexpected(std::move(r).error());
    auto page = parse_list_objects_v2(r->body);
    if (!page) return about(bucket, prefix, std::move(page).error());
    return page;
}

auto Client::list_objects(std::string_view bucket, std::string_view prefix, int max_keys)
    -> Expected<std::vector<ObjectSummary>> {
    std::vector<ObjectSummary> all;
    std::string token;
    for (int page_count = 0; page_count < 1'000'000; ++page_count) {
        auto page = list_objects_page(bucket, prefix, max_keys, token);
        if (!page) return unexpected(std::move(page).error());
        for (auto& o : page->objects) all.push_back(std::move(o));
        if (!page->truncated) return all;
        if (page->next_continuation_token == token) {
            return make_error(ErrorCode::aws,
                              fmt::format("ListObjectsV2 {}: the server repeated its continuation "
                                          "token (the listing would never end)",
                                          s3_uri(bucket, prefix)),
                              {}, std::string(not_s3_hint));
        }
        token = page->next_continuation_token;
    }
    return make_error(
        ErrorCode::aws,
        fmt::format("ListObjectsV2 {}: more than 1,000,000 pages (the listing does not end)", s3_uri(bucket, prefix)),
        {}, std::string(not_s3_hint));
}

auto Client::delete_objects(std::string_view bucket, const std::vector<std::string>& keys)
    -> Expected<DeleteObjectsResult> {
    DeleteObjectsResult all;
    for (std::size_t start = 0; start < keys.size(); start += max_delete_batch) {
        const auto end = std::min(keys.size(), start + max_delete_batch);
        std::vector<std::string> batch(keys.begin() + static_cast<std::ptrdiff_t>(start),
                                       keys.begin() + static_cast<std::ptrdiff_t>(end));
        auto call = xml_body_call("DeleteObjects", http::Method::post, std::string(bucket), {{"delete", ""}},
                                  build_delete_objects(batch));
        auto r = m_impl->send(std::move(call));
        if (!r) return unexpected(std::move(r).error());
        auto parsed = parse_delete_objects_result(r->body);
        if (!parsed) return about(bucket, {}, std::move(parsed).error());
        for (auto& k : parsed->deleted) all.deleted.push_back(std::move(k));
        for (auto& e : parsed->errors) all.errors.push_back(std::move(e));
    }
    return all;
}

auto Client::get_bucket_versioning(std::string_view bucket) -> Expected<BucketVersioning> {
    return m_impl->bucket_setting<BucketVersioning>(
        bucket, "versioning", "GetBucketVersioning", {},
        [](std::string_view body) { return parse_bucket_versioning(body); });
}

auto Client::get_public_access_block(std::string_view bucket) -> Expected<PublicAccessBlock> {
    return m_impl->bucket_setting<PublicAccessBlock>(
        bucket, "publicAccessBlock", "GetPublicAccessBlock", {"NoSuchPublicAccessBlockConfiguration"},
        [](std::string_view body) { return parse_public_access_block(body); });
}

auto Client::get_bucket_encryption(std::string_view bucket) -> Expected<BucketEncryption> {
    return m_impl->bucket_setting<BucketEncryption>(
        bucket, "encryption", "GetBucketEncryption", {"ServerSideEncryptionConfigurationNotFoundError"},
        [](std::string_view body) { return parse_bucket_encryption(body); });
}

auto Client::create_bucket(std::string_view bucket) -> Expected<void> {
    auto call = xml_body_call("CreateBucket", http::Method::put, std::string(bucket), {},
                              build_create_bucket_configuration(m_impl->settings.region));
    auto r = m_impl->send(std::move(call));
    if (!r && r.error().message.find("BucketAlreadyOwnedByYou") == std::string::npos) {
        return unexpected(std::move(r).error());
    }
    return {};
}

auto Client::put_bucket_versioning(std::string_view bucket, bool enabled) -> Expected<void> {
    auto call = xml_body_call("PutBucketVersioning", http::Method::put, std::string(bucket), {{"versioning", ""}},
                              build_versioning_configuration(enabled));
    auto r = m_impl->send(std::move(call));
    if (!r) return unexpected(std::move(r).error());
    return {};
}

auto Client::put_public_access_block(std::string_view bucket, const PublicAccessBlock& block) -> Expected<void> {
    auto call = xml_body_call("PutPublicAccessBlock", http::Method::put, std::string(bucket),
                              {{"publicAccessBlock", ""}}, build_public_access_block(block));
    auto r = m_impl->send(std::move(call));
    if (!r) return unexpected(std::move(r).error());
    return {};
}

auto Client::list_multipart_uploads(std::string_view bucket, std::string_view prefix)
    -> Expected<std::vector<MultipartUploadInfo>> {
    std::vector<MultipartUploadInfo> all;
    std::string key_marker;
    std::string id_marker;
    for (int page_count = 0; page_count < 100'000; ++page_count) {
        Call call;
        call.operation = "ListMultipartUploads";
        call.bucket = std::string(bucket);
        call.query.push_back({"uploads", ""});
        if (!prefix.empty()) call.query.push_back({"prefix", std::string(prefix)});
        if (!key_marker.empty()) call.query.push_back({"key-marker", key_marker});
        if (!id_marker.empty()) call.query.push_back({"upload-id-marker", id_marker});
        auto r = m_impl->send(std::move(call));
        if (!r) return unexpected(std::move(r).error());
        auto page = parse_list_multipart_uploads(r->body);
        if (!page) return about(bucket, prefix, std::move(page).error());
        for (auto& u : page->uploads) all.push_back(std::move(u));
        if (!page->truncated) return all;
        if (page->next_key_marker == key_marker && page->next_upload_id_marker == id_marker) {
            return make_error(ErrorCode::aws,
                              fmt::format("ListMultipartUploads {}: the server repeated its markers (the listing "
                                          "would never end)",
                                          s3_uri(bucket, prefix)),
                              {}, std::string(not_s3_hint));
        }
        key_marker = page->next_key_marker;
        id_marker = page->next_upload_id_marker;
    }
    return make_error(ErrorCode::aws,
                      fmt::format("ListMultipartUploads {}: more than 100,000 pages (the listing does not end)",
                                  s3_uri(bucket, prefix)),
                      {}, std::string(not_s3_hint));
}

auto Client::abort_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id)
    -> Expected<void> {
    return m_impl->abort(bucket, key, upload_id);
}

}  // namespace wheelhouse::s3
