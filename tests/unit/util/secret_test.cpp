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

}  // namespace
}  // namespace wheelhouse
