// The aws-c-auth SigV4 suite (fixtures/corpora/aws-sigv4), stage by stage, header and query signing.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "wheelhouse/s3/sigv4.hpp"
#include "wheelhouse/util/file.hpp"
#include "wheelhouse/util/hash.hpp"
#include "wheelhouse/util/strings.hpp"

namespace wheelhouse::s3 {
namespace {

const std::filesystem::path suite_dir =
    std::filesystem::path(WHEELHOUSE_CORPORA_DIR) / "aws-sigv4" / "tests" / "aws-signing-test-suite" / "v4";
constexpr std::size_t suite_cases = 38;

auto read(const std::filesystem::path& path) -> std::string {
    auto text = util::read_file(path);
    return text ? *text : std::string("<unreadable " + path.string() + ">");
}

// The expected stage outputs end without a newline; tolerate one anyway.
auto read_stage(const std::filesystem::path& path) -> std::string {
    auto text = read(path);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

struct SuiteRequest {
    HttpRequest request;
    std::string raw_path;   // as on the request line, before '?'
    std::string raw_query;  // after '?', as written
    std::string body;
};

// request.txt: "METHOD PATH HTTP/1.1", "Name:value" lines (indented lines continue the previous value),
// an empty line, then the body.
auto parse_suite_request(const std::string& text) -> SuiteRequest {
    SuiteRequest out;
    auto lines = util::split(text, '\n');
    const std::string_view first = lines.at(0);
    const auto method_end = first.find(' ');
    const auto version_begin = first.rfind(" HTTP/");
    out.request.method = std::string(first.substr(0, method_end));
    const auto target = first.substr(method_end + 1, version_begin - method_end - 1);
    const auto q = target.find('?');
    out.raw_path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) out.raw_query = std::string(target.substr(q + 1));
    out.request.path = out.raw_path;
    out.request.query = parse_query(out.raw_query);
    std::size_t i = 1;
    for (; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        if (line.empty()) break;
        if (util::is_ascii_space(line.front())) {
            out.request.headers.back().value += "\n" + std::string(line);
            continue;
        }
        const auto colon = line.find(':');
        out.request.headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
    }
    for (++i; i < lines.size(); ++i) {
        if (!out.body.empty()) out.body += "\n";
        out.body += lines[i];
    }
    return out;
}

struct SuiteCase {
    std::string name;
    std::filesystem::path dir;
    SuiteRequest request;
    Credentials credentials;
    SigningConfig config;
};

auto load_case(const std::filesystem::path& dir) -> SuiteCase {
    SuiteCase c;
    c.name = dir.filename().string();
    c.dir = dir;
    c.request = parse_suite_request(read(dir / "request.txt"));
    const auto context = nlohmann::json::parse(read(dir / "context.json"));
    const auto& creds = context.at("credentials");
    c.credentials.access_key_id = creds.at("access_key_id").get<std::string>();
    c.credentials.secret_access_key = util::Secret(creds.at("secret_access_key").get<std::string>());
    if (creds.contains("token")) c.credentials.session_token = util::Secret(creds.at("token").get<std::string>());
    // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
    std::string amz_date;
    for (char ch : context.at("timestamp").get<std::string>()) {
        if (ch != '-' && ch != ':') amz_date.push_back(ch);
    }
    c.config.amz_date = amz_date;
    c.config.region = context.at("region").get<std::string>();
    c.config.service = context.at("service").get<std::string>();
    c.config.normalize_path = context.value("normalize", true);
    c.config.double_uri_encode = true;  // the suite's requests carry raw paths that are encoded exactly once
    c.config.omit_session_token = context.value("omit_session_token", false);
    c.config.add_content_sha256_header = context.value("sign_body", false);
    c.config.expires_seconds = context.value("expiration_in_seconds", 3600);
    return c;
}

auto load_suite() -> std::vector<SuiteCase> {
    std::vector<SuiteCase> cases;
    for (const auto& entry : std::filesystem::directory_iterator(suite_dir)) {
        if (entry.is_directory()) cases.push_back(load_case(entry.path()));
    }
    std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return cases;
}

auto lines_of(const std::string& text) -> std::set<std::string> {
    std::set<std::string> out;
    for (auto line : util::split(text, '\n')) out.emplace(line);
    return out;
}

TEST(SigV4Suite, HeaderSigningMatchesEveryStageOfEveryCase) {
    const auto cases = load_suite();
    ASSERT_EQ(cases.size(), suite_cases);
    std::size_t checked = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto payload_hash = util::sha256_hex(c.request.body);
        const auto expected_cr = read_stage(c.dir / "header-canonical-request.txt");
        const auto expected_sts = read_stage(c.dir / "header-string-to-sign.txt");
        const auto expected_sig = read_stage(c.dir / "header-signature.txt");
        const auto signed_lines = lines_of(read(c.dir / "header-signed-request.txt"));

        auto signed_request = sign_request(c.request.request, payload_hash, c.credentials, c.config);
        ASSERT_TRUE(signed_request) << signed_request.error().to_string();
        EXPECT_EQ(signed_request->canonical_request, expected_cr) << c.name << ": canonical request";
        EXPECT_EQ(signed_request->string_to_sign, expected_sts) << c.name << ": string to sign";
        EXPECT_EQ(signed_request->signature, expected_sig) << c.name << ": signature";
        for (const auto& h : signed_request->added_headers) {
            EXPECT_TRUE(signed_lines.count(h.name + ":" + h.value)) << c.name << ": signed request lacks " << h.name;
        }

        // Each stage again from the suite's own previous stage, so a failure points at one stage.
        const auto scope = credential_scope(c.config.amz_date, c.config.region, c.config.service);
        EXPECT_EQ(string_to_sign(c.config.amz_date, scope, expected_cr), expected_sts) << c.name << ": stage 2 alone";
        const auto key =
            signing_key(c.credentials.secret_access_key, c.config.amz_date, c.config.region, c.config.service);
        EXPECT_EQ(signature(key, expected_sts), expected_sig) << c.name << ": stage 3 alone";
        const auto cr_lines = util::split(expected_cr, '\n');
        const auto signed_headers = std::string(cr_lines.at(cr_lines.size() - 2));
        const auto authorization =
            authorization_header(c.credentials.access_key_id, scope, signed_headers, expected_sig);
        EXPECT_TRUE(signed_lines.count("Authorization:" + authorization)) << c.name << ": stage 4 alone";
        ++checked;
    }
    EXPECT_EQ(checked, suite_cases);
}

TEST(SigV4Suite, QuerySigningMatchesEveryStageOfEveryCase) {
    const auto cases = load_suite();
    ASSERT_EQ(cases.size(), suite_cases);
    std::size_t checked = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto payload_hash = util::sha256_hex(c.request.body);
        const auto expected_cr = read_stage(c.dir / "query-canonical-request.txt");
        const auto expected_sts = read_stage(c.dir / "query-string-to-sign.txt");
        const auto expected_sig = read_stage(c.dir / "query-signature.txt");
        const auto signed_text = read(c.dir / "query-signed-request.txt");
        const auto expected_line = signed_text.substr(0, signed_text.find('\n'));

        auto presigned = presign_request(c.request.request, payload_hash, c.credentials, c.config);
        ASSERT_TRUE(presigned) << presigned.error().to_string();
        EXPECT_EQ(presigned->canonical_request, expected_cr) << c.name << ": canonical request";
        EXPECT_EQ(presigned->string_to_sign, expected_sts) << c.name << ": string to sign";
        EXPECT_EQ(presigned->signature, expected_sig) << c.name << ": signature";

        // The signed request keeps the original query text and appends the authentication parameters.
        std::string query = c.request.raw_query;
        for (const auto& p : presigned->auth_query) {
            if (!query.empty()) query += "&";
            query += uri_encode(p.name, false) + "=" + uri_encode(p.value, false);
        }
        EXPECT_EQ(c.request.request.method + " " + c.request.raw_path + "?" + query + " HTTP/1.1", expected_line)
            << c.name << ": signed request line";

        const auto scope = credential_scope(c.config.amz_date, c.config.region, c.config.service);
        EXPECT_EQ(string_to_sign(c.config.amz_date, scope, expected_cr), expected_sts) << c.name << ": stage 2 alone";
        const auto key =
            signing_key(c.credentials.secret_access_key, c.config.amz_date, c.config.region, c.config.service);
        EXPECT_EQ(signature(key, expected_sts), expected_sig) << c.name << ": stage 3 alone";
        ++checked;
    }
    EXPECT_EQ(checked, suite_cases);
}

TEST(SigV4Suite, CanonicalRequestStagesMatchWhenComposedByHand) {
    const auto cases = load_suite();
    ASSERT_EQ(cases.size(), suite_cases);
    std::size_t checked = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        // Header variant, stage 1 built from its parts: the suite's extra headers are added by hand.
        auto headers = c.request.request.headers;
        headers.push_back({"X-Amz-Date", c.config.amz_date});
        if (!c.credentials.session_token.empty() && !c.config.omit_session_token) {
            headers.push_back({"X-Amz-Security-Token", c.credentials.session_token.reveal()});
        }
        const auto payload_hash = util::sha256_hex(c.request.body);
        if (c.config.add_content_sha256_header) headers.push_back({"x-amz-content-sha256", payload_hash});
        const auto cr = canonical_request(c.request.request.method, canonical_uri(c.request.request.path, c.config),
                                          canonical_query_string(c.request.request.query), canonical_headers(headers),
                                          payload_hash);
        EXPECT_EQ(cr, read_stage(c.dir / "header-canonical-request.txt")) << c.name;
        ++checked;
    }
    EXPECT_EQ(checked, suite_cases);
}

}  // namespace
}  // namespace wheelhouse::s3
