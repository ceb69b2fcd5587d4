#include "wheelhouse/s3/messages.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "wheelhouse/util/secret.hpp"
#include "wheelhouse/util/strings.hpp"
#include "xml_document.hpp"

namespace wheelhouse::s3 {
namespace {

using detail::child;
using detail::child_text;
using detail::children;
using detail::name_of;
using detail::XmlDocument;

auto malformed(std::string_view what, std::string_view why) -> Unexpected<Error> {
    return make_error(ErrorCode::aws, fmt::format("the server's {} response is malformed: {}", what, why), {},
                      "the endpoint is not an S3 API or a proxy changed the answer; check --endpoint-url");
}

auto parse_root(std::string_view xml, std::string_view what) -> Expected<XmlDocument> {
    auto doc = XmlDocument::parse(xml);
    if (!doc) {
        return malformed(what, xml.empty()                     ? "empty body"
                               : XmlDocument::has_doctype(xml) ? "a document with a DOCTYPE (refused)"
                                                               : "not well-formed XML");
    }
    return std::move(*doc);
}

// An <Error> document inside a 200 answer is an error, whatever operation was asked.
auto error_in_body(const xmlNode* root, std::string_view what) -> std::optional<Unexpected<Error>> {
    if (name_of(root) != "Error") return std::nullopt;
    ServiceError e;
    e.status = 200;
    e.code = child_text(root, "Code");
    e.message = child_text(root, "Message");
    e.request_id = child_text(root, "RequestId");
    return make_error(ErrorCode::aws, fmt::format("{} failed: {}", what, describe(e)), {},
                      "the server accepted the request, then failed it: run the command again, and if it persists "
                      "give the request id to the server's operators");
}

auto not_supported_detail(std::string_view operation, std::string_view expected, std::string_view got) -> std::string {
    return fmt::format("{} is not supported by this server (it answered 200 with <{}> instead of <{}>)", operation, got,
                       expected);
}

auto parse_bool(std::string_view text) -> bool {
    return util::iequals(util::trim(text), "true");
}

auto parse_size(std::string_view text) -> std::uint64_t {
    return util::parse_uint64(util::trim(text)).value_or(0);
}

auto strip_quotes(std::string text) -> std::string {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') return text.substr(1, text.size() - 2);
    return text;
}

auto is_ipv4(std::string_view host) -> bool {
    const auto parts = util::split(host, '.');
    if (parts.size() != 4) return false;
    return std::all_of(parts.begin(), parts.end(), [](std::string_view p) {
        return !p.empty() && p.size() <= 3 && std::all_of(p.begin(), p.end(), util::is_ascii_digit);
    });
}

auto default_port(std::string_view scheme) -> long {
    return scheme == "https" ? 443 : 80;
}

}  // namespace

// ---------------------------------------------------------------- addressing

auto Endpoint::parse(std::string_view url) -> Expected<Endpoint> {
    auto fail = [&](std::string_view why) {
        return make_error(ErrorCode::usage, fmt::format("invalid endpoint URL '{}': {}", util::redact_url(url), why),
                          {}, "use e.g. --endpoint-url https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000");
    };
    Endpoint e;
    e.custom = true;
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return fail("no scheme (http:// or https://)");
    e.scheme = util::to_lower(url.substr(0, sep));
    if (e.scheme != "http" && e.scheme != "https") return fail("the scheme must be http or https");
    std::string_view rest = url.substr(sep + 3);
    if (rest.find_first_of("?#") != std::string_view::npos) return fail("a query or fragment is not allowed");
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) return fail("credentials in the URL are not allowed");
    if (authority.empty()) return fail("no host");
    std::string_view port_text;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail("unterminated IPv6 address");
        e.host = util::to_lower(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("garbage after the IPv6 address");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        e.host = util::to_lower(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (e.host.empty()) return fail("no host");
    for (const char c : e.host) {
        if (!(util::is_ascii_alnum(c) || c == '-' || c == '.' || c == ':' || c == '_')) {
            return fail("the host has characters a host name cannot have");
        }
    }
    if (!port_text.empty()) {
        const auto port = util::parse_uint64(port_text);
        if (!port || *port == 0 || *port > 65535) return fail("the port must be 1-65535");
        e.port = static_cast<long>(*port);
        if (e.port == default_port(e.scheme)) e.port = 0;
    }
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    e.base_path = std::string(path);
    return e;
}

auto Endpoint::for_region(std::string_view region) -> Endpoint {
    Endpoint e;
    e.scheme = "https";
    const std::string_view suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    e.host = fmt::format("s3.{}.{}", region.empty() ? "us-east-1" : region, suffix);
    return e;
}

auto Endpoint::authority() const -> std::string {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? fmt::format("[{}]", host) : host;
    if (port != 0 && port != default_port(scheme)) h += fmt::format(":{}", port);
    return h;
}

auto bucket_is_virtual_hostable(std::string_view bucket, std::string_view scheme) -> bool {
    if (bucket.size() < 3 || bucket.size() > 63) return false;
    if (!util::is_ascii_alnum(bucket.front()) || !util::is_ascii_alnum(bucket.back())) return false;
    for (const char c : bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || util::is_ascii_digit(c) || c == '-' || c == '.';
        if (!ok) return false;
    }
    if (bucket.find("..") != std::string_view::npos || bucket.find(".-") != std::string_view::npos ||
        bucket.find("-.") != std::string_view::npos || is_ipv4(bucket)) {
        return false;
    }
    return !(scheme == "https" && bucket.find('.') != std::string_view::npos);
}

auto resolve_target(const Endpoint& endpoint, AddressingStyle style, std::string_view bucket, std::string_view key)
    -> Target {
    bool virtual_host = false;
    if (!bucket.empty()) {
        if (style == AddressingStyle::virtual_host) {
            virtual_host = true;
        } else if (style == AddressingStyle::automatic) {
            const bool named_host =
                !is_ipv4(endpoint.host) && endpoint.host.find(':') == std::string::npos && endpoint.host != "localhost";
            virtual_host = named_host && bucket_is_virtual_hostable(bucket, endpoint.scheme);
        }
    }
    Endpoint e = endpoint;
    if (virtual_host) e.host = fmt::format("{}.{}", bucket, endpoint.host);
    Target t;
    t.host = e.authority();
    t.url_prefix = fmt::format("{}://{}", e.scheme, t.host);
    t.path = e.base_path;
    if (!virtual_host && !bucket.empty()) t.path += "/" + encode_s3_key(bucket);
    t.path += "/";
    if (!key.empty()) t.path += encode_s3_key(key);
    return t;
}

// ---------------------------------------------------------------- errors

auto parse_error_document(std::string_view xml) -> std::optional<ServiceError> {
    auto doc = XmlDocument::parse(xml);
    if (!doc) return std::nullopt;
    const xmlNode* root = doc->root();
    ServiceError e;
    if (name_of(root) == "Error") {
        e.code = child_text(root, "Code");
        e.message = child_text(root, "Message");
        e.request_id = child_text(root, "RequestId");
        e.resource = child_text(root, "Resource");
        return e;
    }
    if (name_of(root) == "ErrorResponse") {  // STS / query protocol
        const xmlNode* err = child(root, "Error");
        e.code = child_text(err, "Code");
        e.message = child_text(err, "Message");
        e.request_id = child_text(root, "RequestId");
        return e;
    }
    return std::nullopt;
}

namespace {
auto reason_phrase(long status) -> std::string_view {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 416: return "Range Not Satisfiable";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "";
    }
}
}  // namespace

auto describe(const ServiceError& error) -> std::string {
    std::string out;
    if (!error.code.empty()) {
        out = error.code;
        if (!error.message.empty()) out += ": " + error.message;
    } else if (!error.message.empty()) {
        out = error.message;
    } else {
        const auto reason = reason_phrase(error.status);
        out = reason.empty() ? std::string("no error details") : std::string(reason);
    }
    std::vector<std::string> extra;
    if (error.status != 0) extra.push_back(fmt::format("HTTP {}", error.status));
    if (!error.request_id.empty()) extra.push_back(fmt::format("request id {}", error.request_id));
    if (!extra.empty()) out += fmt::format(" ({})", util::join(extra, ", "));
    return out;
}

// ---------------------------------------------------------------- responses

auto to_string(Availability availability) -> const char* {
    switch (availability) {
        case Availability::configured: return "configured";
        case Availability::not_configured: return "not configured";
        case Availability::not_supported: return "not supported";
    }
    return "unknown";
}

auto parse_list_objects_v2(std::string_view xml) -> Expected<ListObjectsPage> {
    auto doc = parse_root(xml, "ListObjectsV2");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "ListObjectsV2")) return *err;
    if (name_of(root) != "ListBucketResult") {
        return malformed("ListObjectsV2", fmt::format("root element <{}>, expected <ListBucketResult>", name_of(root)));
    }
    ListObjectsPage page;
    for (const xmlNode* c : children(root, "Contents")) {
        ObjectSummary o;
        o.key = child_text(c, "Key");
        o.size = parse_size(child_text(c, "Size"));
        o.etag = strip_quotes(child_text(c, "ETag"));
        o.last_modified = child_text(c, "LastModified");
        o.storage_class = child_text(c, "StorageClass");
        page.objects.push_back(std::move(o));
    }
    for (const xmlNode* p : children(root, "CommonPrefixes")) page.common_prefixes.push_back(child_text(p, "Prefix"));
    page.truncated = parse_bool(child_text(root, "IsTruncated"));
    page.next_continuation_token = child_text(root, "NextContinuationToken");
    page.key_count = static_cast<std::size_t>(parse_size(child_text(root, "KeyCount")));
    if (page.truncated && page.next_continuation_token.empty()) {
        return malformed("ListObjectsV2", "IsTruncated is true but there is no NextContinuationToken");
    }
    return page;
}

auto parse_bucket_versioning(std::string_view xml) -> Expected<BucketVersioning> {
    auto doc = parse_root(xml, "GetBucketVersioning");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "GetBucketVersioning")) return *err;
    BucketVersioning v;
    if (name_of(root) != "VersioningConfiguration") {
        v.availability = Availability::not_supported;
        v.detail = not_supported_detail("GetBucketVersioning", "VersioningConfiguration", name_of(root));
        return v;
    }
    const std::string status(util::trim(child_text(root, "Status")));  // own it: child_text returns a temporary
    if (status == "Enabled") {
        v.status = VersioningStatus::enabled;
    } else if (status == "Suspended") {
        v.status = VersioningStatus::suspended;
    } else if (status.empty()) {
        v.status = VersioningStatus::never_enabled;
        v.availability = Availability::not_configured;
    } else {
        return malformed("GetBucketVersioning", fmt::format("unknown Status '{}'", status));
    }
    v.mfa_delete = util::trim(child_text(root, "MfaDelete")) == "Enabled";
    return v;
}

auto parse_public_access_block(std::string_view xml) -> Expected<PublicAccessBlock> {
    auto doc = parse_root(xml, "GetPublicAccessBlock");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "GetPublicAccessBlock")) return *err;
    PublicAccessBlock b;
    // RGW 16 names its root <BlockPublicAccessBlockConfiguration>; a bucket listing has none of the flags.
    const bool known_root =
        name_of(root) == "PublicAccessBlockConfiguration" || name_of(root) == "BlockPublicAccessBlockConfiguration";
    const bool has_flags = child(root, "BlockPublicAcls") != nullptr || child(root, "IgnorePublicAcls") != nullptr ||
                           child(root, "BlockPublicPolicy") != nullptr ||
                           child(root, "RestrictPublicBuckets") != nullptr;
    if (!known_root && !has_flags) {
        b.availability = Availability::not_supported;
        b.detail = not_supported_detail("GetPublicAccessBlock", "PublicAccessBlockConfiguration", name_of(root));
        return b;
    }
    b.block_public_acls = parse_bool(child_text(root, "BlockPublicAcls"));
    b.ignore_public_acls = parse_bool(child_text(root, "IgnorePublicAcls"));
    b.block_public_policy = parse_bool(child_text(root, "BlockPublicPolicy"));
    b.restrict_public_buckets = parse_bool(child_text(root, "RestrictPublicBuckets"));
    return b;
}

auto parse_bucket_encryption(std::string_view xml) -> Expected<BucketEncryption> {
    auto doc = parse_root(xml, "GetBucketEncryption");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "GetBucketEncryption")) return *err;
    BucketEncryption e;
    if (name_of(root) != "ServerSideEncryptionConfiguration") {
        e.availability = Availability::not_supported;
        e.detail = not_supported_detail("GetBucketEncryption", "ServerSideEncryptionConfiguration", name_of(root));
        return e;
    }
    const auto rules = children(root, "Rule");
    if (rules.empty()) {
        e.availability = Availability::not_configured;
        return e;
    }
    const xmlNode* by_default = child(rules.front(), "ApplyServerSideEncryptionByDefault");
    e.algorithm = std::string(util::trim(child_text(by_default, "SSEAlgorithm")));
    e.kms_key_id = std::string(util::trim(child_text(by_default, "KMSMasterKeyID")));
    e.bucket_key_enabled = parse_bool(child_text(rules.front(), "BucketKeyEnabled"));
    if (e.algorithm.empty()) e.availability = Availability::not_configured;
    return e;
}

auto BucketLifecycle::abort_rule_for(std::string_view prefix) const -> const LifecycleRule* {
    for (const auto& rule : rules) {
        if (rule.enabled && !rule.filtered_otherwise && rule.abort_incomplete_days && prefix.starts_with(rule.prefix)) {
            return &rule;
        }
    }
    return nullptr;
}

auto parse_bucket_lifecycle(std::string_view xml) -> Expected<BucketLifecycle> {
    auto doc = parse_root(xml, "GetBucketLifecycleConfiguration");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "GetBucketLifecycleConfiguration")) return *err;
    BucketLifecycle lifecycle;
    if (name_of(root) != "LifecycleConfiguration") {
        lifecycle.availability = Availability::not_supported;
        lifecycle.detail =
            not_supported_detail("GetBucketLifecycleConfiguration", "LifecycleConfiguration", name_of(root));
        return lifecycle;
    }
    for (const xmlNode* r : children(root, "Rule")) {
        LifecycleRule rule;
        rule.id = std::string(util::trim(child_text(r, "ID")));
        rule.enabled = util::trim(child_text(r, "Status")) == "Enabled";
        if (const xmlNode* filter = child(r, "Filter")) {
            const xmlNode* scope = child(filter, "And") != nullptr ? child(filter, "And") : filter;
            rule.prefix = child_text(scope, "Prefix");
            rule.filtered_otherwise = child(scope, "Tag") != nullptr ||
                                      child(scope, "ObjectSizeGreaterThan") != nullptr ||
                                      child(scope, "ObjectSizeLessThan") != nullptr;
        } else {
            rule.prefix = child_text(r, "Prefix");
        }
        if (const xmlNode* abort = child(r, "AbortIncompleteMultipartUpload")) {
            if (auto days = util::parse_uint64(util::trim(child_text(abort, "DaysAfterInitiation")));
                days && *days <= 1'000'000) {
                rule.abort_incomplete_days = static_cast<int>(*days);
            }
        }
        lifecycle.rules.push_back(std::move(rule));
    }
    if (lifecycle.rules.empty()) lifecycle.availability = Availability::not_configured;
    return lifecycle;
}

auto parse_initiate_multipart_upload(std::string_view xml) -> Expected<std::string> {
    auto doc = parse_root(xml, "CreateMultipartUpload");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "CreateMultipartUpload")) return *err;
    if (name_of(root) != "InitiateMultipartUploadResult") {
        return malformed("CreateMultipartUpload",
                         fmt::format("root element <{}>, expected <InitiateMultipartUploadResult>", name_of(root)));
    }
    auto id = std::string(util::trim(child_text(root, "UploadId")));
    if (id.empty()) return malformed("CreateMultipartUpload", "no UploadId");
    return id;
}

auto parse_complete_multipart_upload(std::string_view xml) -> Expected<CompletedMultipartUpload> {
    auto doc = parse_root(xml, "CompleteMultipartUpload");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "CompleteMultipartUpload")) return *err;
    if (name_of(root) != "CompleteMultipartUploadResult") {
        return malformed("CompleteMultipartUpload",
                         fmt::format("root element <{}>, expected <CompleteMultipartUploadResult>", name_of(root)));
    }
    CompletedMultipartUpload c;
    c.location = child_text(root, "Location");
    c.etag = strip_quotes(child_text(root, "ETag"));
    return c;
}

auto parse_list_multipart_uploads(std::string_view xml) -> Expected<ListMultipartUploadsPage> {
    auto doc = parse_root(xml, "ListMultipartUploads");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "ListMultipartUploads")) return *err;
    if (name_of(root) != "ListMultipartUploadsResult") {
        return malformed("ListMultipartUploads",
                         fmt::format("root element <{}>, expected <ListMultipartUploadsResult>", name_of(root)));
    }
    ListMultipartUploadsPage page;
    for (const xmlNode* u : children(root, "Upload")) {
        page.uploads.push_back({child_text(u, "Key"), child_text(u, "UploadId"), child_text(u, "Initiated")});
    }
    page.truncated = parse_bool(child_text(root, "IsTruncated"));
    page.next_key_marker = child_text(root, "NextKeyMarker");
    page.next_upload_id_marker = child_text(root, "NextUploadIdMarker");
    if (page.truncated && page.next_key_marker.empty() && page.next_upload_id_marker.empty()) {
        return malformed("ListMultipartUploads", "IsTruncated is true but there is no next marker");
    }
    return page;
}

auto parse_delete_objects_result(std::string_view xml) -> Expected<DeleteObjectsResult> {
    auto doc = parse_root(xml, "DeleteObjects");
    if (!doc) return unexpected(std::move(doc).error());
    const xmlNode* root = doc->root();
    if (auto err = error_in_body(root, "DeleteObjects")) return *err;
    if (name_of(root) != "DeleteResult") {
        return malformed("DeleteObjects", fmt::format("root element <{}>, expected <DeleteResult>", name_of(root)));
    }
    DeleteObjectsResult r;
    for (const xmlNode* d : children(root, "Deleted")) r.deleted.push_back(child_text(d, "Key"));
    for (const xmlNode* e : children(root, "Error")) {
        r.errors.push_back({child_text(e, "Key"), child_text(e, "Code"), child_text(e, "Message")});
    }
    return r;
}

// ---------------------------------------------------------------- request bodies

auto xml_escape(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // Whitespace control characters survive only as references (XML normalises raw CR / TAB).
                if (u == '\t' || u == '\n' || u == '\r') {
                    out += fmt::format("&#x{:X};", u);
                } else {
                    out.push_back(c);
                }
        }
    }
    return out;
}

auto build_delete_objects(const std::vector<std::string>& keys) -> std::string {
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                      R"(<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>false</Quiet>)";
    for (const auto& key : keys) out += fmt::format("<Object><Key>{}</Key></Object>", xml_escape(key));
    out += "</Delete>";
    return out;
}

auto build_complete_multipart_upload(const std::vector<CompletedPart>& parts) -> std::string {
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                      R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)";
    for (const auto& p : parts) {
        out += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>", p.part_number, xml_escape(p.etag));
        if (!p.checksum_crc64nvme.empty()) {
            out += fmt::format("<ChecksumCRC64NVME>{}</ChecksumCRC64NVME>", xml_escape(p.checksum_crc64nvme));
        }
        out += "</Part>";
    }
    out += "</CompleteMultipartUpload>";
    return out;
}

auto build_versioning_configuration(bool enabled) -> std::string {
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                       R"(<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                       "<Status>{}</Status></VersioningConfiguration>",
                       enabled ? "Enabled" : "Suspended");
}

auto build_create_bucket_configuration(std::string_view region) -> std::string {
    if (region.empty() || region == "us-east-1") return {};
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                       R"(<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                       "<LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                       xml_escape(region));
}

auto build_public_access_block(const PublicAccessBlock& block) -> std::string {
    auto b = [](bool v) { return v ? "true" : "false"; };
    return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                       R"(<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
                       "<BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls>"
                       "<BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets>"
                       "</PublicAccessBlockConfiguration>",
                       b(block.block_public_acls), b(block.ignore_public_acls), b(block.block_public_policy),
                       b(block.restrict_public_buckets));
}

// ---------------------------------------------------------------- multipart arithmetic

auto choose_part_size(std::uint64_t object_size, std::uint64_t preferred) -> Expected<std::uint64_t> {
    if (object_size > max_object_size) {
        return make_error(ErrorCode::usage,
                          fmt::format("{} bytes is more than S3's 5 TiB object size limit", object_size), {},
                          "upload a smaller file: S3 cannot store more than 5 TiB in one object");
    }
    constexpr std::uint64_t mib = 1024 * 1024;
    std::uint64_t size = std::clamp(preferred, min_part_size, max_part_size);
    const std::uint64_t needed = (object_size + max_parts - 1) / max_parts;  // so that count <= 10,000
    size = std::max(size, needed);
    size = (size + mib - 1) / mib * mib;
    return std::min(size, max_part_size);
}

auto split_parts(std::uint64_t object_size, std::uint64_t part_size) -> std::vector<PartRange> {
    std::vector<PartRange> parts;
    if (part_size == 0) return parts;
    if (object_size == 0) {
        parts.push_back({1, 0, 0});
        return parts;
    }
    int number = 1;
    for (std::uint64_t offset = 0; offset < object_size; offset += part_size) {
        parts.push_back({number++, offset, std::min(part_size, object_size - offset)});
    }
    return parts;
}

// ---------------------------------------------------------------- encodings

auto base64_encode(std::string_view bytes) -> std::string {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),          // NOLINT
                                  reinterpret_cast<const unsigned char*>(bytes.data()),  // NOLINT
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

auto hex_to_bytes(std::string_view hex) -> std::optional<std::string> {
    if (hex.size() % 2 != 0) return std::nullopt;
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = value(hex[i]);
        const int lo = value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

auto md5_base64(std::string_view bytes) -> std::string {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_md5(), nullptr);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));  // NOLINT
}

}  // namespace wheelhouse::s3
