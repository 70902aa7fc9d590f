// Which address a request is audited and throttled under when Atrium sits behind reverse proxies.
#include "http/Server.h"

#include <gtest/gtest.h>

#include <stdexcept>

using atrium::http::TrustedProxies;

TEST(TrustedProxies, WithoutConfigurationTheHeaderIsIgnored) {
    TrustedProxies none;
    EXPECT_EQ(none.client("203.0.113.9", "198.51.100.1"), "203.0.113.9") << "a client cannot pick its own address";
}

TEST(TrustedProxies, AnUntrustedPeerIsTheClientWhateverItForwards) {
    const auto p = TrustedProxies::parse("10.0.0.0/8");
    EXPECT_EQ(p.client("203.0.113.9", "198.51.100.1"), "203.0.113.9");
}

TEST(TrustedProxies, TheRightMostUntrustedHopIsTheClient) {
    const auto p = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8 ::1");
    EXPECT_EQ(p.client("127.0.0.1", "198.51.100.7"), "198.51.100.7");
    // A client-supplied entry on the left is not believed: the first hop our proxy saw wins.
    EXPECT_EQ(p.client("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.2.3"), "198.51.100.7");
    EXPECT_EQ(p.client("::1", " 2001:db8::5 "), "2001:db8::5");
    // Every hop trusted: the left-most one.
    EXPECT_EQ(p.client("127.0.0.1", "10.0.0.2, 10.0.0.3"), "10.0.0.2");
    // A hop that is not an address ends the walk at the last trusted one.
    EXPECT_EQ(p.client("127.0.0.1", "198.51.100.7, bogus, 10.0.0.3"), "10.0.0.3");
    EXPECT_EQ(p.client("127.0.0.1", ""), "127.0.0.1");
}

TEST(TrustedProxies, RangesMatchByPrefix) {
    const auto p = TrustedProxies::parse("192.168.4.0/22;fd00::/8");
    EXPECT_TRUE(p.trusted("192.168.4.1"));
    EXPECT_TRUE(p.trusted("192.168.7.254"));
    EXPECT_FALSE(p.trusted("192.168.8.1"));
    EXPECT_TRUE(p.trusted("fd12:3456::1"));
    EXPECT_FALSE(p.trusted("fe80::1"));
    EXPECT_TRUE(p.trusted("::ffff:192.168.5.5")) << "an IPv4-mapped address is the IPv4 one";
    EXPECT_FALSE(p.trusted("not-an-address"));
    EXPECT_TRUE(TrustedProxies::parse("0.0.0.0/0").trusted("8.8.8.8"));
}

TEST(TrustedProxies, ABadEntryIsRefusedByName) {
    for (const char* bad : {"10.0.0.0/33", "proxy.internal", "10.0.0.0/", "10.0.0.0/x", "::1/129"}) {
        try {
            TrustedProxies::parse(std::string("127.0.0.1, ") + bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
        }
    }
    EXPECT_TRUE(TrustedProxies::parse("").empty());
    EXPECT_TRUE(TrustedProxies::parse(" , ").empty());
}
