// index::with_credentials: the user:password of an index goes back on its files' URLs, and nowhere else.
#include <gtest/gtest.h>

#include "wheelhouse/index/index.hpp"

namespace wheelhouse::index {
namespace {

TEST(WithCredentials, AddsTheUserinfoOfTheIndexOnTheSameOriginOnly) {
    Sources sources;
    sources.index_urls = {"https://pypi.example/simple", "https://alice:p%40ss@private.example/simple"};
    sources.find_links = {"http://bob:pw@links.example:8080/wheels.html"};
    EXPECT_EQ(with_credentials("https://private.example/files/a-1.0-py3-none-any.whl", sources),
              "https://alice:p%40ss@private.example/files/a-1.0-py3-none-any.whl");
    EXPECT_EQ(with_credentials("https://private.example:443/f/a.whl", sources),
              "https://alice:p%40ss@private.example:443/f/a.whl")
        << "the default port is the same origin";
    EXPECT_EQ(with_credentials("http://links.example:8080/a.whl", sources), "http://bob:pw@links.example:8080/a.whl");
    // Another host, scheme or port gets nothing: credentials are scoped to their origin.
    EXPECT_EQ(with_credentials("https://pypi.example/files/a.whl", sources), "https://pypi.example/files/a.whl");
    EXPECT_EQ(with_credentials("http://private.example/f/a.whl", sources), "http://private.example/f/a.whl");
    EXPECT_EQ(with_credentials("http://links.example/a.whl", sources), "http://links.example/a.whl");
    EXPECT_EQ(with_credentials("https://evil.example/private.example/a.whl", sources),
              "https://evil.example/private.example/a.whl");
    // A URL with its own credentials, a local path and a non-URL are left alone.
    EXPECT_EQ(with_credentials("https://carol:x@private.example/a.whl", sources),
              "https://carol:x@private.example/a.whl");
    EXPECT_EQ(with_credentials("/srv/wheels/a.whl", sources), "/srv/wheels/a.whl");
    EXPECT_EQ(with_credentials("file:///srv/wheels/a.whl", sources), "file:///srv/wheels/a.whl");
    EXPECT_EQ(with_credentials("", sources), "");
}

TEST(WithCredentials, StoredQueryTokensComeBackFromTheSameOriginsSource) {
    Sources sources;
    sources.index_urls = {"https://idx.example/simple/?token=t1", "https://other.example/simple/?token=t2"};
    sources.find_links = {"https://u:p@links.example/links.html?private_token=t3&x=1"};
    EXPECT_EQ(with_credentials("https://idx.example/f/a.whl?token=***&v=1#sha256=00", sources),
              "https://idx.example/f/a.whl?token=t1&v=1#sha256=00");
    EXPECT_EQ(with_credentials("https://links.example/f/a.whl?private_token=***", sources),
              "https://u:p@links.example/f/a.whl?private_token=t3");
    // Not on another origin, and not a value that is not a stored secret.
    EXPECT_EQ(with_credentials("https://evil.example/f/a.whl?token=***", sources),
              "https://evil.example/f/a.whl?token=***");
    EXPECT_EQ(with_credentials("https://idx.example/f/a.whl?v=***", sources), "https://idx.example/f/a.whl?v=***");
    EXPECT_EQ(with_credentials("https://idx.example/f/a.whl?X-Amz-Signature=***", sources),
              "https://idx.example/f/a.whl?X-Amz-Signature=***");
}

TEST(WithCredentials, TheFirstSourceOnAnOriginWins) {
    Sources sources;
    sources.index_urls = {"https://u1:one@idx.example/simple", "https://u2:two@idx.example/other/simple"};
    sources.find_links = {"https://u3:three@idx.example/links.html"};
    EXPECT_EQ(with_credentials("https://idx.example/f/a.whl", sources), "https://u1:one@idx.example/f/a.whl");
}

}  // namespace
}  // namespace wheelhouse::index
