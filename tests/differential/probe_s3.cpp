// Differential probe for s3's SigV4 signer: one JSON query per line on stdin, one JSON answer per line
// (flushed), so that test_s3.py can compare thousands of signed requests with botocore.
//
// Query: {"mode":"header"|"query", "s3":bool, "method":M, "path":P | "key":K (S3: path "/bucket/"+encoded K,
//         or "/"+encoded K when "bucket" is null), "bucket":B|null, "query":[[name,value],...] (decoded),
//         "headers":[[name,value],...], "access_key":A, "secret":S, "token":T|null, "region":R, "service":V,
//         "amz_date":D, "payload_hash":H, "content_sha256_header":bool, "expires":N}
// Answer: {"path":.., "cr":.., "sts":.., "signature":.., "auth":.. (header mode), "query_string":.. (query mode)}
//         or {"error":..}
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "wheelhouse/s3/sigv4.hpp"

namespace {

using nlohmann::json;
using namespace wheelhouse::s3;

auto answer(const json& q) -> json {
    HttpRequest request;
    request.method = q.at("method").get<std::string>();
    if (q.contains("key")) {
        const auto key = encode_s3_key(q.at("key").get<std::string>());
        request.path = q.at("bucket").is_null() ? "/" + key : "/" + q.at("bucket").get<std::string>() + "/" + key;
    } else {
        request.path = q.at("path").get<std::string>();
    }
    for (const auto& p : q.at("query"))
        request.query.push_back({p.at(0).get<std::string>(), p.at(1).get<std::string>()});
    for (const auto& h : q.at("headers"))
        request.headers.push_back({h.at(0).get<std::string>(), h.at(1).get<std::string>()});

    Credentials creds;
    creds.access_key_id = q.at("access_key").get<std::string>();
    creds.secret_access_key = wheelhouse::util::Secret(q.at("secret").get<std::string>());
    if (!q.at("token").is_null()) creds.session_token = wheelhouse::util::Secret(q.at("token").get<std::string>());

    SigningConfig config;
    if (q.at("s3").get<bool>()) {
        config = SigningConfig::for_s3(q.at("region").get<std::string>(), q.at("amz_date").get<std::string>());
    } else {
        config.region = q.at("region").get<std::string>();
        config.amz_date = q.at("amz_date").get<std::string>();
    }
    config.service = q.at("service").get<std::string>();
    config.add_content_sha256_header = q.at("content_sha256_header").get<bool>();
    config.expires_seconds = q.at("expires").get<std::int64_t>();
    const auto payload_hash = q.at("payload_hash").get<std::string>();

    if (q.at("mode").get<std::string>() == "header") {
        auto s = sign_request(request, payload_hash, creds, config);
        if (!s) return json{{"error", s.error().to_string()}};
        return json{{"path", request.path},
                    {"cr", s->canonical_request},
                    {"sts", s->string_to_sign},
                    {"signature", s->signature},
                    {"auth", s->authorization}};
    }
    auto p = presign_request(request, payload_hash, creds, config);
    if (!p) return json{{"error", p.error().to_string()}};
    return json{{"path", request.path},
                {"cr", p->canonical_request},
                {"sts", p->string_to_sign},
                {"signature", p->signature},
                {"query_string", p->query_string}};
}

}  // namespace

auto main() -> int {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        json out;
        try {
            out = answer(json::parse(line));
        } catch (const std::exception& e) {
            out = json{{"error", e.what()}};
        }
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
    }
    return 0;
}
