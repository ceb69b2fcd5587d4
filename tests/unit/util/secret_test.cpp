#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "wheelhouse/util/secret.hpp"

namespace wheelhouse {
namespace {

TEST(Secret, FormatsAsStarsEverywhere) {
    const util::Secret secret("hunter2");
    EXPECT_EQ(fmt::format("{}", secret), "***");
    std::ostringstream out;
    out << secret;
    EXPECT_EQ(out.str(), "***");
    EXPECT_EQ(secret.reveal(), "hunter2");
}

TEST(Secret, RedactsPasswordsAndBareTokensInUrls) {
    EXPECT_EQ(util::redact_url("https://user:pw@host/simple/?q=1"), "https://user:***@host/simple/?q=1");
    EXPECT_EQ(util::redact_url("https://token@host:8443/x"), "https://***@host:8443/x");
    EXPECT_EQ(util::redact_url("https://host/a@b"), "https://host/a@b");
    EXPECT_EQ(util::redact_url("https://u:p:q@x@host"), "https://u:***@host");
    EXPECT_EQ(util::redact_url("not a url"), "not a url");
    EXPECT_EQ(util::redact_urls_in("GET https://a:b@h/x failed; proxy http://p:q@proxy:3128 said no"),
              "GET https://a:***@h/x failed; proxy http://p:***@proxy:3128 said no");
    EXPECT_EQ(util::redact_urls_in("odd :// and x://"), "odd :// and x://");
}

TEST(Secret, RedactsAccessGrantingQueryValuesAndStoredUrlsLoseTheUser) {
    EXPECT_EQ(util::redact_url("https://h/f/a.whl?token=abc&v=2#sha256=00"),
              "https://h/f/a.whl?token=***&v=2#sha256=00");
    EXPECT_EQ(util::redact_url("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F"
                               "x&X-Amz-Security-Token=tok&X-Amz-Signature=sig"),
              "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&"
              "X-Amz-Security-Token=***&X-Amz-Signature=***");
    EXPECT_EQ(util::redact_url("https://u:p@h/x?private_token=t"), "https://u:***@h/x?private_token=***");
    EXPECT_EQ(util::redact_url("https://h/x?tokens=1&q=token"), "https://h/x?tokens=1&q=token");
    EXPECT_EQ(util::stored_url("https://alice:pw@h/simple/?token=abc"), "https://h/simple/?token=***");
    EXPECT_EQ(util::stored_url("https://ghp_tok@h/simple/"), "https://h/simple/");
    EXPECT_EQ(util::stored_url("https://alice:***@h/simple/"), "https://h/simple/");
    EXPECT_EQ(util::stored_url("/srv/wheels"), "/srv/wheels");
    EXPECT_EQ(util::redact_urls_in("GET https://h/a.whl?Signature=s3cr3t failed; see https://u:p@h/b?sig=x now"),
              "GET https://h/a.whl?Signature=*** failed; see https://u:***@h/b?sig=*** now");
    EXPECT_TRUE(util::is_secret_query_name("X-AMZ-SIGNATURE"));
    EXPECT_FALSE(util::is_secret_query_name("X-Amz-Date"));
}

}  // namespace
}  // namespace wheelhouse
