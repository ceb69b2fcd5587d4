// A small read-only view over a libxml2 document (private to the s3 module): elements matched by local name
// whatever their namespace, text content, and nothing that loads external entities or the network.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wheelhouse::s3::detail {

struct DocDeleter {
    void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};

class XmlDocument {
public:
    // nullopt for text that is not well-formed XML (or is empty), and for any document with a DOCTYPE.
    static auto parse(std::string_view text) -> std::optional<XmlDocument> {
        if (text.empty() || text.size() > 64U * 1024U * 1024U || has_doctype(text)) return std::nullopt;
        // No NOENT (entities stay unexpanded), no DTDLOAD, NONET: nothing is fetched, no entity bombs.
        const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
        xmlDoc* doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "s3.xml", nullptr, options);
        if (doc == nullptr) return std::nullopt;
        XmlDocument result;
        result.m_doc.reset(doc);
        if (doc->intSubset != nullptr || doc->extSubset != nullptr) return std::nullopt;
        if (xmlDocGetRootElement(doc) == nullptr) return std::nullopt;
        return result;
    }

    // S3 and STS answers never declare a DTD; one that does can define entities that expand to gigabytes when
    // the text of an element is read (xmlNodeGetContent follows entity references). Refused before parsing.
    static auto has_doctype(std::string_view text) -> bool { return text.find("<!DOCTYPE") != std::string_view::npos; }

    [[nodiscard]] auto root() const -> xmlNode* { return xmlDocGetRootElement(m_doc.get()); }

private:
    std::unique_ptr<xmlDoc, DocDeleter> m_doc;
};

inline auto name_of(const xmlNode* node) -> std::string_view {
    if (node == nullptr || node->name == nullptr) return {};
    return reinterpret_cast<const char*>(node->name);  // NOLINT: libxml2 strings are UTF-8 bytes
}

inline auto is_element(const xmlNode* node, std::string_view name) -> bool {
    return node != nullptr && node->type == XML_ELEMENT_NODE && name_of(node) == name;
}

inline auto child(const xmlNode* parent, std::string_view name) -> xmlNode* {
    if (parent == nullptr) return nullptr;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (is_element(c, name)) return c;
    }
    return nullptr;
}

inline auto children(const xmlNode* parent, std::string_view name) -> std::vector<xmlNode*> {
    std::vector<xmlNode*> out;
    if (parent == nullptr) return out;
    for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (is_element(c, name)) out.push_back(c);
    }
    return out;
}

inline auto text(const xmlNode* node) -> std::string {
    if (node == nullptr) return {};
    xmlChar* content = xmlNodeGetContent(node);
    if (content == nullptr) return {};
    std::string out(reinterpret_cast<const char*>(content));  // NOLINT
    xmlFree(content);
    return out;
}

inline auto child_text(const xmlNode* parent, std::string_view name) -> std::string {
    return text(child(parent, name));
}

}  // namespace wheelhouse::s3::detail
