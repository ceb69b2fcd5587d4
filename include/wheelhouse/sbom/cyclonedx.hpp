// CycloneDX 1.6 JSON software bills of materials: a deterministic writer (sorted keys, a fixed timestamp, a serial
// number derived from the content), so that the same bundle always gives the same bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "wheelhouse/licenses/licenses.hpp"

namespace wheelhouse::sbom {

// "pkg:pypi/<PEP 503 name>@<version>[?file_name=<file>]", percent-encoded as the purl spec asks.
auto pypi_purl(std::string_view name, std::optional<std::string_view> version,
               std::optional<std::string_view> filename = std::nullopt) -> std::string;

using Properties = std::vector<std::pair<std::string, std::string>>;  // CycloneDX name-value pairs, in order

struct Package {
    std::string ref;  // bom-ref, unique in the document
    std::string name;
    std::optional<std::string> version;
    std::string purl;
    std::optional<std::string> sha256;
    std::optional<std::string> url;  // where the wheel was downloaded from (externalReferences: distribution)
    std::optional<licenses::Declared> license;  // nullopt or Source::unknown: no licences field
    Properties properties;
};

struct File {
    std::string ref;
    std::string name;
    std::string sha256;
    Properties properties;
};

// A container (the MWAA image) whose packages the environment provides.
struct Environment {
    std::string ref;
    std::string name;
    std::optional<std::string> version;
    std::vector<Package> packages;
    Properties properties;
};

struct Dependency {
    std::string ref;
    std::vector<std::string> depends_on;
};

struct Document {
    std::string tool_version;  // wheelhouse's
    std::string subject_name;  // metadata.component: what the SBOM describes
    std::string subject_ref = "bundle";
    Properties subject_properties;  // the target, the image data source, ...
    std::int64_t timestamp = 0;     // seconds since 1970 (UTC)
    std::vector<Package> packages;  // the bundled wheels
    std::vector<File> files;        // plugins.zip, requirements.txt, constraints.txt (or the lock file)
    std::optional<Environment> environment;
    std::vector<Dependency> dependencies;
};

// The document as JSON: bomFormat CycloneDX, specVersion 1.6, version 1, serialNumber a name-based UUID (RFC 4122
// version 5) of the rest of the document, so equal content gives an equal serial number and different content a
// different one.
auto to_json(const Document& document) -> nlohmann::json;
// to_json, pretty-printed with two spaces and a final newline: the bytes written to sbom.cdx.json.
auto to_text(const Document& document) -> std::string;

// "2024-05-01T12:00:00Z".
auto iso8601_utc(std::int64_t seconds) -> std::string;

}  // namespace wheelhouse::sbom
