// Parsing the exporter's HOST:PORT.
#include <gtest/gtest.h>

#include <stdexcept>

#include "listen_address.h"

namespace hs::prom {
namespace {

TEST(ListenAddress, Forms) {
  auto a = parse_listen_address("0.0.0.0:9464");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 9464);
  a = parse_listen_address("127.0.0.1:0");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 0);
  a = parse_listen_address("[::1]:9464");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 9464);
  a = parse_listen_address("[::]:65535");
  EXPECT_EQ(a.host, "::");
  EXPECT_EQ(a.port, 65535);
  a = parse_listen_address(":9464");
  EXPECT_EQ(a.host, "0.0.0.0");
  a = parse_listen_address("localhost:80");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 80);
}

TEST(ListenAddress, RejectsMalformedAddressesNamingThem) {
  for (const char* bad : {"9464", "host:", "host:http", "host:-1", "host:65536", "host:+80",
                          "host:80x", "::1:9464", "[::1:9464", "[]:9464", ""}) {
    try {
      parse_listen_address(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + std::string(bad) + "\""), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace hs::prom
