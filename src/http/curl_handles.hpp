// RAII owners of libcurl easy, multi, slist and URL handles (private to the http module).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

namespace wheelhouse::http::detail {

struct EasyDeleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct MultiDeleter {
    void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct UrlDeleter {
    void operator()(CURLU* h) const noexcept { curl_url_cleanup(h); }
};
struct CurlStringDeleter {
    void operator()(char* s) const noexcept { curl_free(s); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

// A curl_slist that owns its nodes.
class StringList {
public:
    StringList() = default;
    ~StringList() { curl_slist_free_all(m_list); }
    StringList(const StringList&) = delete;
    auto operator=(const StringList&) -> StringList& = delete;
    StringList(StringList&& other) noexcept : m_list(other.m_list) { other.m_list = nullptr; }
    auto operator=(StringList&& other) noexcept -> StringList& {
        if (this != &other) {
            curl_slist_free_all(m_list);
            m_list = other.m_list;
            other.m_list = nullptr;
        }
        return *this;
    }

    // False if curl could not allocate the node.
    auto append(const std::string& line) -> bool {
        curl_slist* next = curl_slist_append(m_list, line.c_str());
        if (next == nullptr) return false;
        m_list = next;
        return true;
    }
    [[nodiscard]] auto get() const -> curl_slist* { return m_list; }

private:
    curl_slist* m_list = nullptr;
};

// Reads one part of a parsed URL; empty if the part is absent.
inline auto url_part(CURLU* url, CURLUPart part, unsigned int flags = 0) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(url, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
    CurlString owned(raw);
    return std::string(owned.get());
}

}  // namespace wheelhouse::http::detail
