// S3 and STS XML answers (libxml2 under the s3 module's reader): no crash, leak or hang on any input, nothing
// with a DOCTYPE is accepted (entity expansion), and what parses is sane.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wheelhouse/s3/messages.hpp"
#include "wheelhouse/s3/network_credentials.hpp"

using namespace wheelhouse::s3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view xml(reinterpret_cast<const char*>(data), size);
    const bool doctype = xml.find("<!DOCTYPE") != std::string_view::npos;
    auto error = parse_error_document(xml);
    auto list = parse_list_objects_v2(xml);
    auto versioning = parse_bucket_versioning(xml);
    auto access = parse_public_access_block(xml);
    auto encryption = parse_bucket_encryption(xml);
    auto upload = parse_initiate_multipart_upload(xml);
    auto completed = parse_complete_multipart_upload(xml);
    auto uploads = parse_list_multipart_uploads(xml);
    auto deleted = parse_delete_objects_result(xml);
    auto sts = parse_assume_role_with_web_identity(xml);
    if (doctype && (error || list || versioning || access || encryption || upload || completed || uploads ||
                    deleted || sts)) {
        std::abort();
    }
    if (sts && (sts->access_key_id.empty() || sts->secret_access_key.empty())) std::abort();
    if (list) {
        for (const auto& o : list->objects) {
            if (o.key.empty()) std::abort();
        }
    }
    return 0;
}
