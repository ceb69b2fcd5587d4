#include "wheelhouse/s3/client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>

#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/crc64.hpp"
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
    Credentials signed_with;  // set by build(): the credentials the request was signed with
    std::uint64_t max_body = http::max_document_bytes;  // for a memory sink: XML answers, small objects
};

// The server's answer says the credentials are expired or unknown (rotated keys): worth renewing and resending.
auto credentials_rejected(const http::Response& response) -> bool {
    if (response.status != 400 && response.status != 403) return false;
    const auto doc = parse_error_document(response.body);
    if (!doc) return false;
    return doc->code == "ExpiredToken" || doc->code == "TokenRefreshRequired" || doc->code == "InvalidToken" ||
           doc->code == "InvalidAccessKeyId" || doc->code == "ExpiredTokenException";
}

auto is_aws_host(std::string_view host) -> bool {
    return host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
}

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
        } else if (name == "x-amz-checksum-type") {
            info.checksum_type = value;
        } else if (name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-mode" &&
                   name != "x-amz-checksum-algorithm") {
            info.checksums[name.substr(15)] = value;
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

auto read_error(const std::filesystem::path& path, int error) -> Unexpected<Error> {
    return make_error(ErrorCode::io,
                      fmt::format("cannot read {}: {}", path.string(), std::generic_category().message(error)), {},
                      "check the path, its permissions and the disk holding it");
}

auto changed_error(const std::filesystem::path& path) -> Unexpected<Error> {
    return make_error(ErrorCode::io, fmt::format("{} changed while it was read", path.string()), {},
                      "something is writing to the file: wait until it is finished, then run the command again");
}

// An open file descriptor that closes itself.
class ReadFd {
public:
    explicit ReadFd(const std::filesystem::path& path) : m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ReadFd(const ReadFd&) = delete;
    auto operator=(const ReadFd&) -> ReadFd& = delete;
    ReadFd(ReadFd&&) = delete;
    auto operator=(ReadFd&&) -> ReadFd& = delete;
    ~ReadFd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    [[nodiscard]] auto get() const -> int { return m_fd; }

private:
    int m_fd;
};

// Calls `each` with consecutive pieces of [offset, offset + size) of the file; false on a read error (errno set)
// or a file shorter than that (errno 0).
template <class F>
auto read_range(int fd, std::uint64_t offset, std::uint64_t size, std::vector<char>& buffer, F&& each) -> bool {
    std::uint64_t done = 0;
    while (done < size) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - done));
        const auto n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = 0;
            return false;
        }
        each(buffer.data(), static_cast<std::size_t>(n));
        done += static_cast<std::uint64_t>(n);
    }
    return true;
}

}  // namespace

auto crc64nvme_header(std::uint64_t crc) -> std::string {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((crc >> (56 - 8 * i)) & 0xFFU);
    return base64_encode(bytes);
}

auto hash_file(const std::filesystem::path& path, std::uint64_t part_size, bool part_sha256) -> Expected<FileDigest> {
    const ReadFd fd(path);
    if (fd.get() < 0) return read_error(path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return read_error(path, errno);
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::io, fmt::format("{} is not a regular file", path.string()), {},
                          "only regular files can be uploaded");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    FileDigest d;
    d.size = size;
    d.part_size = part_size;
    // One read of each byte for the hashes an upload needs. SHA-256 over the whole file cannot be split, so it
    // runs on this thread; the parts (CRC64NVME, and their SHA-256 for signed payloads) are independent and go
    // to the other cores. A single upload's "part" is the whole file: its SHA-256 is the whole one.
    const auto parts = split_parts(size, part_size == 0 ? std::max<std::uint64_t>(size, 1) : part_size);
    const bool multipart = part_size != 0;
    std::vector<std::uint64_t> crcs(parts.size(), 0);
    std::vector<std::string> shas(multipart && part_sha256 ? parts.size() : 0);
    std::vector<int> failures(parts.size(), -1);
    std::atomic<std::size_t> next{0};
    auto part_worker = [&] {
        std::vector<char> buffer(1 << 20);
        for (std::size_t i = next++; i < parts.size(); i = next++) {
            util::Crc64Nvme crc;
            util::Sha256 sha;
            const bool want_sha = !shas.empty();
            const bool ok =
                read_range(fd.get(), parts[i].offset, parts[i].size, buffer, [&](const char* p, std::size_t n) {
                    crc.update(p, n);
                    if (want_sha) sha.update(p, n);
                });
            if (!ok) {
                failures[i] = errno;
                continue;
            }
            crcs[i] = crc.value();
            if (want_sha) shas[i] = sha.finish_hex();
        }
    };
    const std::size_t workers =
        std::min<std::size_t>(parts.size(), std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8) - 1);
    int whole_failure = -1;
    {
        std::vector<std::jthread> pool;
        for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(part_worker);
        util::Sha256 whole;
        std::vector<char> buffer(1 << 20);
        if (!read_range(fd.get(), 0, size, buffer, [&](const char* p, std::size_t n) { whole.update(p, n); })) {
            whole_failure = errno;
        } else {
            d.sha256 = whole.finish_hex();
        }
    }
    if (whole_failure >= 0) return whole_failure == 0 ? changed_error(path) : read_error(path, whole_failure);
    for (int f : failures) {
        if (f >= 0) return f == 0 ? changed_error(path) : read_error(path, f);
    }
    // The whole file's CRC from the parts' (crc64nvme_combine): no second CRC pass.
    d.crc64nvme = crcs.front();
    for (std::size_t i = 1; i < parts.size(); ++i)
        d.crc64nvme = util::crc64nvme_combine(d.crc64nvme, crcs[i], parts[i].size);
    if (multipart) {
        d.part_crc64nvme = std::move(crcs);
        d.part_sha256 = std::move(shas);
    }
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0 || after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
        return changed_error(path);
    }
    return d;
}

struct Client::Impl {
    std::shared_ptr<CredentialSource> credentials;
    ClientOptions settings;
    Endpoint endpoint;
    http::Engine engine;
    http::Options http_options;         // what `engine` was made with (for the cleanup engine)
    std::optional<http::Engine> spare;  // cleanup requests after an interrupt: made on first use

    Impl(std::shared_ptr<CredentialSource> c, ClientOptions o, Endpoint e, http::Engine en, http::Options ho)
        : credentials(std::move(c)),
          settings(std::move(o)),
          endpoint(std::move(e)),
          engine(std::move(en)),
          http_options(std::move(ho)) {}

    [[nodiscard]] auto signs_payloads() const -> bool {
        return settings.payload_signing == ClientOptions::PayloadSigning::always || endpoint.scheme != "https" ||
               !is_aws_host(endpoint.host);
    }

    // An engine the interrupt flag does not stop, for the requests that clean up after an interrupt.
    auto cleanup_engine() -> http::Engine& {
        if (http_options.cancel == nullptr) return engine;
        if (!spare) {
            http::Options o = http_options;
            o.cancel = nullptr;
            o.total_timeout = std::chrono::seconds(60);
            o.max_attempts = std::min(o.max_attempts, 3);
            if (auto made = http::Engine::create(std::move(o))) spare = std::move(*made);
        }
        return spare ? *spare : engine;
    }

    auto build(Call& call) -> Expected<http::Request> {
        auto creds = credentials->get();
        if (!creds) return unexpected(std::move(creds).error());
        call.signed_with = std::move(*creds);
        const Target target = resolve_target(endpoint, settings.addressing, call.bucket, call.key);
        HttpRequest to_sign;
        to_sign.method = method_text(call.method);
        to_sign.path = target.path;
        to_sign.query = call.query;
        to_sign.headers = call.headers;
        to_sign.headers.push_back({"Host", target.host});
        auto config = SigningConfig::for_s3(settings.region, format_amz_date(std::chrono::system_clock::now()));
        auto signed_request = sign_request(to_sign, call.payload_hash, call.signed_with, config);
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
        // The call keeps its body (a file range or a small document): a request refused for its credentials is
        // signed again and resent.
        r.body = call.body;
        r.sink = std::move(call.sink);
        return r;
    }

    // One request; the answer whatever its status. Credentials the server refuses as expired or unknown are
    // renewed from their source and the request is sent once more.
    auto fetch(Call& call, http::Engine* on = nullptr) -> Expected<http::Response> {
        http::Engine& e = on != nullptr ? *on : engine;
        const bool can_resend = call.sink.kind == http::Sink::Kind::memory;
        auto request = build(call);
        if (!request) return unexpected(std::move(request).error());
        auto response = e.fetch(std::move(*request));
        if (response && can_resend && credentials->refreshable() && credentials_rejected(*response) &&
            credentials->renew_after_rejection(call.signed_with)) {
            auto again = build(call);
            if (!again) return unexpected(std::move(again).error());
            response = e.fetch(std::move(*again));
        }
        return response;
    }

    // The server's error (status != 2xx) as an aws Error naming the operation and the resource.
    auto service_error(const Call& call, const http::Response& response) const -> Error {
        ServiceError e = parse_error_document(response.body).value_or(ServiceError{});
        e.status = response.status;
        if (e.request_id.empty()) e.request_id = response.header("x-amz-request-id").value_or("");
        std::string hint;
        if (e.code == "SignatureDoesNotMatch") {
            hint = fmt::format("the secret access key (from {}) does not match the access key id {}",
                               call.signed_with.source.empty() ? "the credential chain" : call.signed_with.source,
                               call.signed_with.access_key_id);
        } else if (e.code == "InvalidAccessKeyId") {
            hint =
                fmt::format("the server does not know the access key id {} (from {})", call.signed_with.access_key_id,
                            call.signed_with.source.empty() ? "the credential chain" : call.signed_with.source);
        } else if (e.code == "RequestTimeTooSkewed") {
            hint = "the local clock is off by more than 15 minutes: set the time (e.g. enable NTP) and run again";
        } else if (e.code == "NoSuchBucket") {
            hint = "check --bucket, --region and --endpoint-url";
        } else if (e.code == "AccessDenied" || e.code == "AllAccessDisabled" ||
                   (e.code.empty() && response.status == 403)) {
            hint = fmt::format(
                "check that the IAM policy of the credentials (from {}), the bucket policy and, with KMS, the key "
                "policy allow {} on this bucket",
                call.signed_with.source.empty() ? "the credential chain" : call.signed_with.source, call.operation);
        } else if (e.code == "ExpiredToken" || e.code == "TokenRefreshRequired" || e.code == "InvalidToken") {
            hint = fmt::format(
                "the session token (from {}) has expired or is invalid: refresh the credentials "
                "(e.g. aws sso login) and run again",
                call.signed_with.source.empty() ? "the credential chain" : call.signed_with.source);
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

    auto send(Call call, http::Engine* on = nullptr) -> Expected<http::Response> {
        auto response = fetch(call, on);
        if (!response) return response;
        if (!response->ok()) return unexpected(service_error(call, *response));
        return response;
    }

    // Sends many calls in parallel; one result per call (non-2xx answers become errors). Calls refused for their
    // credentials are sent once more after the credentials were renewed.
    auto send_all(std::vector<Call> calls) -> std::vector<Expected<http::Response>> {
        std::vector<Expected<http::Response>> results(calls.size(),
                                                      make_error(ErrorCode::internal, "request not sent"));
        std::vector<std::size_t> pending(calls.size());
        for (std::size_t i = 0; i < calls.size(); ++i) pending[i] = i;
        for (int round = 0; round < 2 && !pending.empty(); ++round) {
            std::vector<http::Request> requests;
            std::vector<std::size_t> index;
            for (auto i : pending) {
                auto r = build(calls[i]);
                if (!r) {
                    results[i] = unexpected(std::move(r).error());
                    continue;
                }
                requests.push_back(std::move(*r));
                index.push_back(i);
            }
            auto responses = engine.run(std::move(requests));
            std::vector<std::size_t> again;
            for (std::size_t j = 0; j < responses.size(); ++j) {
                const std::size_t i = index[j];
                if (responses[j] && !responses[j]->ok()) {
                    if (round == 0 && credentials->refreshable() && credentials_rejected(*responses[j]) &&
                        credentials->renew_after_rejection(calls[i].signed_with)) {
                        again.push_back(i);
                    }
                    results[i] = unexpected(service_error(calls[i], *responses[j]));
                } else {
                    results[i] = std::move(responses[j]);
                }
            }
            pending = std::move(again);
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
        auto response = fetch(call);
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

    [[nodiscard]] auto payload_hash_for(const std::string& sha256) const -> std::string {
        return signs_payloads() ? sha256 : std::string(unsigned_payload);
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
        const std::string crc = crc64nvme_header(digest.crc64nvme);
        call.headers.push_back({"x-amz-checksum-crc64nvme", crc});
        call.payload_hash = payload_hash_for(digest.sha256);
        call.body = http::Body::file_range(path, 0, digest.size);
        auto response = send(std::move(call));
        if (!response) return unexpected(std::move(response).error());
        auto result = put_result_from(*response, digest.sha256);
        result.crc64nvme = crc;
        return result;
    }

    auto upload_multipart(std::string_view bucket, std::string_view key, const std::filesystem::path& path,
                          const PutOptions& options, const FileDigest& digest, UploadObserver* observer)
        -> Expected<PutResult> {
        auto sse = encryption_headers(options, bucket, key);
        if (!sse) return unexpected(std::move(sse).error());
        MultipartUpload upload(split_parts(digest.size, digest.part_size), options_part_rounds());
        const std::string whole_crc = crc64nvme_header(digest.crc64nvme);

        Call create;
        create.operation = "CreateMultipartUpload";
        create.method = http::Method::post;
        create.bucket = std::string(bucket);
        create.key = std::string(key);
        create.query.push_back({"uploads", ""});
        create.headers = metadata_headers(options, digest.sha256);
        create.headers.insert(create.headers.end(), sse->begin(), sse->end());
        // A full-object CRC64NVME: S3 combines the parts' CRCs and checks the whole against Complete's header.
        create.headers.push_back({"x-amz-checksum-algorithm", "CRC64NVME"});
        create.headers.push_back({"x-amz-checksum-type", "FULL_OBJECT"});
        create.body = http::Body::memory({});
        auto created = send(std::move(create));
        // A server that knows flexible checksums says so; only then may Complete list the parts' checksums.
        bool server_checksums = false;
        if (!created) {
            upload.on_create_failed(std::move(created).error());
        } else {
            server_checksums = util::iequals(created->header("x-amz-checksum-algorithm").value_or(""), "CRC64NVME");
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
        result.crc64nvme = whole_crc;

        std::uint64_t bytes_done = 0;
        // Parts go in waves so that each is signed shortly before it is sent (a signature is valid 15 min, and
        // credentials that expire are renewed between waves): a wave holds at most 512 MiB, and at least one part
        // per connection. Each wave ends with connections idle while its last parts finish, so a wave should
        // also hold several parts per connection.
        const std::uint64_t wave_bytes = 512ULL << 20;
        const std::size_t wave = std::max<std::size_t>(
            options_parallel(),
            std::min<std::size_t>(options_parallel() * 4,
                                  static_cast<std::size_t>(wave_bytes / std::max<std::uint64_t>(1, digest.part_size))));
        auto interrupted = [&] {
            return (options.cancel != nullptr && options.cancel->load()) ||
                   (http_options.cancel != nullptr && http_options.cancel->load());
        };
        while (upload.state() == MultipartUpload::State::uploading) {
            if (interrupted()) {
                upload.cancel(Error{
                    ErrorCode::aws, "the upload was interrupted", {}, "run the command again to upload the file", {}});
                break;
            }
            const auto batch = upload.next_parts(wave);
            std::vector<Call> calls;
            std::vector<std::string> part_crcs;
            for (const auto& part : batch) {
                const auto index = static_cast<std::size_t>(part.number - 1);
                Call c;
                c.operation = fmt::format("UploadPart {}", part.number);
                c.method = http::Method::put;
                c.bucket = std::string(bucket);
                c.key = std::string(key);
                c.query.push_back({"partNumber", std::to_string(part.number)});
                c.query.push_back({"uploadId", upload.upload_id()});
                part_crcs.push_back(crc64nvme_header(digest.part_crc64nvme[index]));
                c.headers.push_back({"x-amz-checksum-crc64nvme", part_crcs.back()});
                c.payload_hash = signs_payloads() ? digest.part_sha256[index] : std::string(unsigned_payload);
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
                        upload.on_part_uploaded(number, *etag, part_crcs[i]);
                        if (observer != nullptr) observer->on_part_done(number, bytes_done, digest.size);
                        continue;
                    }
                    r = make_error(
                        ErrorCode::aws,
                        fmt::format("UploadPart {} {}: the server sent no ETag", number, s3_uri(bucket, key)), {},
                        std::string(not_s3_hint));
                }
                if (observer != nullptr && !interrupted()) observer->on_part_retry(number, r.error());
                upload.on_part_failed(number, std::move(r).error());
            }
        }

        if (upload.state() == MultipartUpload::State::completing && interrupted()) {
            upload.on_complete_failed(Error{
                ErrorCode::aws, "the upload was interrupted", {}, "run the command again to upload the file", {}});
        }
        if (upload.state() == MultipartUpload::State::completing) {
            auto body = upload.completion_body(server_checksums);
            Call complete = xml_body_call("CompleteMultipartUpload", http::Method::post, std::string(bucket),
                                          {{"uploadId", upload.upload_id()}}, std::move(body));
            complete.key = std::string(key);
            complete.headers.push_back({"x-amz-checksum-crc64nvme", whole_crc});
            complete.headers.push_back({"x-amz-checksum-type", "FULL_OBJECT"});
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
            // On the cleanup engine: after an interrupt the main one refuses every request.
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
        return result;
    }

    // HEAD with checksum mode: of `version_id`, or of the latest version when the upload's answer named none.
    auto head(std::string_view bucket, std::string_view key, std::string_view version_id)
        -> Expected<std::optional<ObjectInfo>> {
        Call call;
        call.operation = "HeadObject";
        call.method = http::Method::head;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        call.headers.push_back({"x-amz-checksum-mode", "ENABLED"});
        if (!version_id.empty()) call.query.push_back({"versionId", std::string(version_id)});
        auto response = fetch(call);
        if (!response) return unexpected(std::move(response).error());
        if (response->status == 404) return std::optional<ObjectInfo>{};
        if (!response->ok()) return unexpected(service_error(call, *response));
        return std::optional<ObjectInfo>(object_info_from(*response));
    }

    // After an upload: the object the server now holds is the one sent (size, sha256 metadata, and S3's own
    // full-object checksum where the server keeps one), and its version id is known. A mismatch removes that
    // version again (the previous one stays current) and is a verification error.
    auto verify_upload(std::string_view bucket, std::string_view key, const FileDigest& digest, PutResult& result)
        -> Expected<void> {
        auto info = head(bucket, key, result.version_id);
        if (!info) return unexpected(std::move(info).error());
        if (!*info) {
            return make_error(
                ErrorCode::aws,
                fmt::format("{} was uploaded but a HEAD right after finds no such object", s3_uri(bucket, key)), {},
                "another process may have deleted it: run the command again");
        }
        const ObjectInfo& object = **info;
        if (result.version_id.empty() && !result.etag.empty() && object.etag != result.etag) {
            return make_error(
                ErrorCode::aws,
                fmt::format("{} was replaced by another writer right after this upload", s3_uri(bucket, key)), {},
                "make sure no other deploy writes to the same prefix, then run the command again");
        }
        std::vector<std::string> wrong;
        if (object.size != digest.size)
            wrong.push_back(fmt::format("{} bytes instead of {}", object.size, digest.size));
        if (auto it = object.metadata.find("sha256"); it == object.metadata.end() || it->second != digest.sha256) {
            wrong.push_back("x-amz-meta-sha256 is not the file's SHA-256");
        }
        if (auto it = object.checksums.find("crc64nvme"); it != object.checksums.end()) {
            if (it->second != result.crc64nvme) {
                wrong.push_back(fmt::format("CRC64NVME {} instead of {}", it->second, result.crc64nvme));
            } else {
                result.checksum_confirmed = true;
            }
        }
        if (!wrong.empty()) {
            std::string removed = "could not be removed: delete it by hand";
            if (!object.version_id.empty() && delete_version(bucket, key, object.version_id)) {
                removed = "was removed again; the previous version is current";
            }
            return make_error(ErrorCode::verification,
                              fmt::format("{}: the object the server holds after the upload is not the file sent ({}); "
                                          "that version {}",
                                          s3_uri(bucket, key), util::join(wrong, ", "), removed),
                              {}, "a proxy or the server changed the data: run the command again");
        }
        if (result.version_id.empty()) result.version_id = object.version_id;
        if (result.sse.empty()) result.sse = object.sse;
        if (result.kms_key_id.empty()) result.kms_key_id = object.kms_key_id;
        return {};
    }

    auto delete_version(std::string_view bucket, std::string_view key, std::string_view version_id) -> bool {
        Call call;
        call.operation = "DeleteObject";
        call.method = http::Method::delete_;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        call.query.push_back({"versionId", std::string(version_id)});
        return send(std::move(call), &cleanup_engine()).has_value();
    }

    auto abort(std::string_view bucket, std::string_view key, std::string_view upload_id) -> Expected<void> {
        Call call;
        call.operation = "AbortMultipartUpload";
        call.method = http::Method::delete_;
        call.bucket = std::string(bucket);
        call.key = std::string(key);
        call.query.push_back({"uploadId", std::string(upload_id)});
        auto r = send(std::move(call), &cleanup_engine());
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
    return create(CredentialSource::fixed(std::move(credentials)), std::move(options));
}

auto Client::create(std::shared_ptr<CredentialSource> source, ClientOptions options) -> Expected<Client> {
    if (!source) return make_error(ErrorCode::internal, "S3 client without a credential source");
    auto credentials = source->get();
    if (!credentials) return unexpected(std::move(credentials).error());
    if (credentials->access_key_id.empty() || credentials->secret_access_key.empty()) {
        return make_error(
            ErrorCode::aws,
            fmt::format("no AWS credentials{}", credentials->source.empty()
                                                    ? std::string()
                                                    : fmt::format(" (empty keys from {})", credentials->source)),
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
    auto engine = http::Engine::create(http_options);
    if (!engine) return unexpected(std::move(engine).error());
    return Client(std::make_unique<Impl>(std::move(source), std::move(options), std::move(endpoint), std::move(*engine),
                                         std::move(http_options)));
}

auto Client::options() const -> const ClientOptions& {
    return m_impl->settings;
}

auto Client::signs_payloads() const -> bool {
    return m_impl->signs_payloads();
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
    const std::string crc = crc64nvme_header(util::crc64nvme(body));
    call.headers.push_back({"x-amz-checksum-crc64nvme", crc});
    call.payload_hash = m_impl->payload_hash_for(sha);
    call.body = http::Body::memory(std::move(body));
    auto response = m_impl->send(std::move(call));
    if (!response) return unexpected(std::move(response).error());
    auto result = put_result_from(*response, sha);
    result.crc64nvme = crc;
    return result;
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
    const bool signs = m_impl->signs_payloads();
    if (!digest || digest->size != size || digest->part_size != part_size ||
        (part_size != 0 && (digest->part_crc64nvme.empty() || (signs && digest->part_sha256.empty())))) {
        auto fresh = hash_file(path, part_size, signs);
        if (!fresh) return unexpected(std::move(fresh).error());
        digest = std::move(*fresh);
    }
    if (digest->size != size) {
        return make_error(ErrorCode::io, fmt::format("{} changed while it was being read", path.string()), {},
                          "something is writing to the file: wait until it is finished, then run the command again");
    }
    auto result = part_size == 0 ? m_impl->put_single_file(bucket, key, path, options, *digest)
                                 : m_impl->upload_multipart(bucket, key, path, options, *digest, observer);
    if (!result) return result;
    if (auto verified = m_impl->verify_upload(bucket, key, *digest, *result); !verified) {
        return unexpected(std::move(verified).error());
    }
    return result;
}

auto Client::head_object(std::string_view bucket, std::string_view key, std::string_view version_id)
    -> Expected<std::optional<ObjectInfo>> {
    return m_impl->head(bucket, key, version_id);
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
        c.headers.push_back({"x-amz-checksum-mode", "ENABLED"});
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

auto Client::get_bucket_lifecycle(std::string_view bucket) -> Expected<BucketLifecycle> {
    return m_impl->bucket_setting<BucketLifecycle>(bucket, "lifecycle", "GetBucketLifecycleConfiguration",
                                                   {"NoSuchLifecycleConfiguration"},
                                                   [](std::string_view body) { return parse_bucket_lifecycle(body); });
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

auto Client::delete_object_version(std::string_view bucket, std::string_view key, std::string_view version_id)
    -> Expected<void> {
    Call call;
    call.operation = "DeleteObject";
    call.method = http::Method::delete_;
    call.bucket = std::string(bucket);
    call.key = std::string(key);
    call.query.push_back({"versionId", std::string(version_id)});
    auto r = m_impl->send(std::move(call));
    if (!r) return unexpected(std::move(r).error());
    return {};
}

}  // namespace wheelhouse::s3
