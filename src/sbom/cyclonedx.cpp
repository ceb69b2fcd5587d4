#include "wheelhouse/sbom/cyclonedx.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <memory>

#include "wheelhouse/pep508/name.hpp"
#include "wheelhouse/util/hash.hpp"

namespace wheelhouse::sbom {
namespace {

using nlohmann::json;

// The namespace of wheelhouse's SBOM serial numbers (a fixed random UUID: d6b1a0e4-3c1f-4b8e-9a57-1f2e3c4d5a6b).
constexpr std::array<unsigned char, 16> k_namespace = {0xd6, 0xb1, 0xa0, 0xe4, 0x3c, 0x1f, 0x4b, 0x8e,
                                                       0x9a, 0x57, 0x1f, 0x2e, 0x3c, 0x4d, 0x5a, 0x6b};

// RFC 4122 section 4.3: SHA-1 of namespace + name, version 5, variant 10.
auto uuid_v5(std::string_view name) -> std::string {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), k_namespace.data(), k_namespace.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), name.data(), name.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1 || length < 16) {
        // No SHA-1 in this OpenSSL (a FIPS build): fall back to SHA-256's first bytes, still name-based.
        auto hex = util::sha256_hex(name);
        for (std::size_t i = 0; i < 16; ++i) {
            digest[i] = static_cast<unsigned char>(std::stoi(hex.substr(i * 2, 2), nullptr, 16));
        }
    }
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0FU) | 0x50U);
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3FU) | 0x80U);
    auto hex = util::to_hex(digest.data(), 16);
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                       hex.substr(20, 12));
}

// Percent-encoding for purl components: everything but unreserved characters.
auto purl_encode(std::string_view text) -> std::string {
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

auto properties_json(const Properties& properties) -> json {
    auto out = json::array();
    for (const auto& [name, value] : properties) out.push_back({{"name", name}, {"value", value}});
    return out;
}

auto licenses_json(const licenses::Declared& license) -> std::optional<json> {
    // The package's own metadata declares these: CycloneDX 1.6 calls that acknowledgement "declared".
    if (license.expression) {
        const auto& e = *license.expression;
        if (e.kind() == licenses::Expression::Kind::term && !e.term().is_ref && !e.term().or_later &&
            !e.term().exception) {
            return json::array({{{"license", {{"id", e.term().license}, {"acknowledgement", "declared"}}}}});
        }
        return json::array({{{"expression", e.to_string()}, {"acknowledgement", "declared"}}});
    }
    if (!license.name.empty()) {
        return json::array({{{"license", {{"name", license.name}, {"acknowledgement", "declared"}}}}});
    }
    return std::nullopt;
}

auto package_json(const Package& p) -> json {
    json j = {{"type", "library"}, {"bom-ref", p.ref}, {"name", p.name}, {"purl", p.purl}};
    if (p.version) j["version"] = *p.version;
    if (p.sha256) j["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", *p.sha256}}});
    if (p.license) {
        if (auto l = licenses_json(*p.license)) j["licenses"] = std::move(*l);
    }
    if (p.url) {
        json ref = {{"type", "distribution"}, {"url", *p.url}};
        if (p.sha256) ref["hashes"] = json::array({{{"alg", "SHA-256"}, {"content", *p.sha256}}});
        j["externalReferences"] = json::array({ref});
    }
    if (!p.properties.empty()) j["properties"] = properties_json(p.properties);
    return j;
}

}  // namespace

auto pypi_purl(std::string_view name, std::optional<std::string_view> version, std::optional<std::string_view> filename)
    -> std::string {
    std::string out = "pkg:pypi/" + purl_encode(pep508::canonicalize_name(name));
    if (version) out += "@" + purl_encode(*version);
    if (filename) out += "?file_name=" + purl_encode(*filename);
    return out;
}

auto iso8601_utc(std::int64_t seconds) -> std::string {
    std::tm tm{};
    const auto t = static_cast<std::time_t>(seconds);
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

auto to_json(const Document& d) -> json {
    json doc;
    doc["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json";
    doc["bomFormat"] = "CycloneDX";
    doc["specVersion"] = "1.6";
    doc["version"] = 1;
    json subject = {{"type", "application"}, {"bom-ref", d.subject_ref}, {"name", d.subject_name}};
    if (!d.subject_properties.empty()) subject["properties"] = properties_json(d.subject_properties);
    doc["metadata"] = {
        {"timestamp", iso8601_utc(d.timestamp)},
        {"lifecycles", json::array({{{"phase", "build"}}})},
        {"tools",
         {{"components", json::array({{{"type", "application"},
                                       {"name", "wheelhouse"},
                                       {"version", d.tool_version},
                                       {"description", "packages Python dependencies for Amazon MWAA"}}})}}},
        {"component", subject}};
    auto components = json::array();
    for (const auto& p : d.packages) components.push_back(package_json(p));
    for (const auto& f : d.files) {
        json j = {{"type", "file"},
                  {"bom-ref", f.ref},
                  {"name", f.name},
                  {"hashes", json::array({{{"alg", "SHA-256"}, {"content", f.sha256}}})}};
        if (!f.properties.empty()) j["properties"] = properties_json(f.properties);
        components.push_back(std::move(j));
    }
    if (d.environment) {
        const auto& e = *d.environment;
        json j = {{"type", "container"}, {"bom-ref", e.ref}, {"name", e.name}};
        if (e.version) j["version"] = *e.version;
        if (!e.properties.empty()) j["properties"] = properties_json(e.properties);
        auto inner = json::array();
        for (const auto& p : e.packages) inner.push_back(package_json(p));
        if (!inner.empty()) j["components"] = std::move(inner);
        components.push_back(std::move(j));
    }
    doc["components"] = std::move(components);
    auto dependencies = json::array();
    for (const auto& dep : d.dependencies) {
        dependencies.push_back({{"ref", dep.ref}, {"dependsOn", dep.depends_on}});
    }
    doc["dependencies"] = std::move(dependencies);
    doc["serialNumber"] = "urn:uuid:" + uuid_v5(doc.dump());
    return doc;
}

auto to_text(const Document& document) -> std::string {
    return to_json(document).dump(2) + "\n";
}

}  // namespace wheelhouse::sbom
