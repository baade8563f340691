// URL templates (kernel/http_parser.h, http_url_template): the rules and the table of
// docs/design.md, cuts at every byte, pipelining, and agreement with the reference.
#include <map>
#include <set>

#include "parser_test_util.h"
#include "reference_template.h"

namespace hs_test {
namespace {

struct Example {
  const char* method;
  std::string target;
  const char* want;  // "" : no template
};

// Every row of the table in docs/design.md ("URL templates"), in its order.
const std::vector<Example>& design_table() {
  static const std::vector<Example> rows = {
      {"GET", "/api/users/1042?tab=orders", "/api/users/{id}"},
      {"GET", "/", "/"},
      {"GET", "/index.html", "/index.html"},
      {"GET", "/static/app.js", "/static/app.js"},
      {"GET", "/healthz", "/healthz"},
      {"GET", "/api/v1/orders", "/api/v1/orders"},
      {"DELETE", "/api/v2/items/42", "/api/v2/items/{id}"},
      {"GET", "/users/u123456/profile", "/users/{id}/profile"},
      {"GET", "/blobs/9f86d081884c7d65", "/blobs/{id}"},
      {"GET", "/reports/2026-12-07", "/reports/{id}"},
      {"PUT", "/orders/123e4567-e89b-12d3-a456-426614174000", "/orders/{id}"},
      {"GET", "/files/deadbeef", "/files/{id}"},
      {"GET", "/files/cafe", "/files/cafe"},
      {"POST", "/auth/oauth2/token", "/auth/oauth2/token"},
      {"GET", "/codec/base64", "/codec/base64"},
      {"GET", "/releases/1.2.3", "/releases/{id}"},
      {"GET", "/items/%31%32%33", "/items/{id}"},
      {"GET", "/%7Euser/home", "/%7Euser/home"},
      {"GET", "/users/42/orders/7/items", "/users/{id}/orders/{id}/**"},
      {"GET", "/a/b/c/d", "/a/b/c/d"},
      {"GET", "/a/b/c/d/e/f", "/a/b/c/d/**"},
      {"GET", "/api/", "/api/"},
      {"GET", "/search?q=a/b#top", "/search"},
      {"GET", "/page#section", "/page"},
      {"GET", "http://example.test:8080/a/b?x=1", "/a/b"},
      {"GET", "HTTPS://example.test", "/"},
      {"OPTIONS", "*", "*"},
      {"CONNECT", "example.test:443", ""},
      {"GET", "example.test/a", ""},
      {"GET", "/api/" + std::string(70, 'a') + "/x", "/api/**"},
  };
  return rows;
}

std::string line_of(const Example& e) {
  return std::string(e.method) + " " + e.target + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
}

// The template an exchange of this request line counts under, whole.
std::string counted_template(const std::string& request, bool templates = true) {
  Connection c;
  c.set_templates(templates);
  c.request(request);
  c.response(empty_response(200));
  EXPECT_EQ(c.exchanges().size(), 1U) << request;
  return c.exchanges().empty() ? "(not counted)" : c.templates().front();
}

TEST(UrlTemplate, EveryExampleOfTheDesignTable) {
  EXPECT_GE(design_table().size(), 20U);
  for (const Example& e : design_table()) {
    SCOPED_TRACE(e.target);
    EXPECT_EQ(counted_template(line_of(e)), e.want);
    // The reference, written from the rules, says the same.
    const std::string line = std::string(e.method) + " " + e.target + " HTTP/1.1\r";
    EXPECT_EQ(hs_ref::url_template(line, HTTP_LINE_MAX, std::string(e.method) == "CONNECT"),
              e.want);
  }
}

TEST(UrlTemplate, IdentifierSegments) {
  // Identifiers: all digits, a UUID, 8+ hex digits, 3+ digits among other characters.
  for (std::string_view id :
       {"1", "42", "1042", "u123456", "9f86d081884c7d65", "2026-12-07", "DEADBEEF", "abc123",
        "order-5512", "1.2.3", "%31", "%34%32", "123E4567-E89B-12D3-A456-426614174000",
        "abcdefab-abcd-abcd-abcd-abcdefabcdef"}) {
    SCOPED_TRACE(std::string(id));
    EXPECT_EQ(counted_template(request_line("GET", "/x/" + std::string(id))), "/x/{id}");
  }
  // Words: few digits, too short or not only hex, escapes of letters.
  for (std::string_view word : {"v1", "v2", "v10", "api", "healthz", "index.html", "app.js", "h2c",
                                "mp3", "page2", "cafe", "abcdef1", "deadbeeg", "%41%42", "a%2",
                                "%zz", "abcdefab-abcd-abcd-abcd-abcdefabcde", "-", "~user"}) {
    SCOPED_TRACE(std::string(word));
    EXPECT_EQ(counted_template(request_line("GET", "/x/" + std::string(word))),
              "/x/" + std::string(word));
  }
}

TEST(UrlTemplate, PercentEscapesCountAsTheirDecodedClass) {
  EXPECT_EQ(counted_template(request_line("GET", "/u/%31%30%34%32")), "/u/{id}");
  EXPECT_EQ(counted_template(request_line("GET", "/u/%61%62%63%64%65%66%61%62")), "/u/{id}");
  EXPECT_EQ(counted_template(request_line("GET", "/u/%2D")), "/u/%2D");  // '-' alone
  // An escape cut by the segment's end, or not hex, is a character of no class.
  EXPECT_EQ(counted_template(request_line("GET", "/u/12%/x")), "/u/12%/x");
  EXPECT_EQ(counted_template(request_line("GET", "/u/1%g2/x")), "/u/1%g2/x");
  // %2F is not a separator.
  EXPECT_EQ(counted_template(request_line("GET", "/a%2Fb/c")), "/a%2Fb/c");
}

TEST(UrlTemplate, DepthIsBounded) {
  EXPECT_EQ(counted_template(request_line("GET", "/1/2/3/4")), "/{id}/{id}/{id}/{id}");
  EXPECT_EQ(counted_template(request_line("GET", "/1/2/3/4/5")), "/{id}/{id}/{id}/{id}/**");
  EXPECT_EQ(counted_template(request_line("GET", "/a/b/c/d/")), "/a/b/c/d/**");
  EXPECT_EQ(counted_template(request_line("GET", "//")), "//");
}

TEST(UrlTemplate, TargetsLongerThanWhatIsReadEndInDoubleStar) {
  // The kernel reads the line's first HTTP_LINE_MAX bytes: the segment they cut is
  // left out, whatever comes after it.
  const std::string base = "/api/users/1042/";
  const std::string head = "GET " + base;
  const std::string cut(HTTP_LINE_MAX - head.size() + 3, 'x');
  EXPECT_EQ(counted_template(request_line("GET", base + cut)), "/api/users/{id}/**");
  EXPECT_EQ(counted_template(request_line("GET", base + cut + "/more/1")), "/api/users/{id}/**");
  // A query cut by it is no loss: the path ended before it.
  EXPECT_EQ(counted_template(request_line("GET", "/api/users/1042?" + std::string(300, 'q'))),
            "/api/users/{id}");
  // A line of exactly HTTP_LINE_MAX bytes is read whole.
  std::string exact = "/" + std::string(HTTP_LINE_MAX - 4 - 1 - 9, 'y');
  EXPECT_EQ(("GET " + exact + " HTTP/1.1").size(), HTTP_LINE_MAX);
  EXPECT_EQ(counted_template(request_line("GET", exact)), exact);
  // A line cut in its version only: the target was read whole, and the space after it.
  const std::string longest = exact + std::string(8, 'y');
  EXPECT_EQ(counted_template(request_line("GET", longest)), longest);
  // One more byte and the space is not read: the target may go on.
  EXPECT_EQ(counted_template(request_line("GET", longest + "y")), "/**");
  // An authority cut by it.
  EXPECT_EQ(counted_template(request_line("GET", "http://" + std::string(80, 'h') + "/a")), "/**");
}

TEST(UrlTemplate, MalformedTargetsHaveNone) {
  for (std::string_view target : std::initializer_list<std::string_view>{
           "example.test:443", "a/b", "*x", "/a\tb", "/caf\xc3\xa9", "ftp://h/a", "http:/a",
           "http://h\x01/a", std::string_view("/a\0b", 4)}) {
    SCOPED_TRACE(testing::PrintToString(std::string(target)));
    EXPECT_EQ(counted_template(request_line("GET", target)), "");
  }
  // Bytes the kernel does not read do not make a target malformed.
  EXPECT_EQ(counted_template(request_line("GET", "/a/b/c/d/e\x01")), "/a/b/c/d/**");
  EXPECT_EQ(counted_template(request_line("GET", "/a?\x7f")), "/a");
}

TEST(UrlTemplate, EveryMethodHasOneButConnect) {
  for (std::string_view method :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND"}) {
    SCOPED_TRACE(std::string(method));
    EXPECT_EQ(counted_template(request_line(method, "/dav/1042")), "/dav/{id}");
  }
  EXPECT_EQ(counted_template(request_line("CONNECT", "/dav/1042")), "");
}

TEST(UrlTemplate, VersionsAndLineEnds) {
  EXPECT_EQ(counted_template("GET /a/1 HTTP/1.0\r\n\r\n"), "/a/{id}");
  EXPECT_EQ(counted_template("GET /a/1 HTTP/1.1\n\n"), "/a/{id}");
  EXPECT_EQ(counted_template("GET /a/1\r\n\r\n"), "/a/{id}");  // no version
}

TEST(UrlTemplate, OffCountsTheSameWithoutTemplates) {
  for (const Example& e : design_table()) {
    SCOPED_TRACE(e.target);
    if (std::string(e.method) == "CONNECT") continue;  // its 200 ends the connection
    Connection on, off;
    off.set_templates(false);
    for (Connection* c : {&on, &off}) {
      c->request(line_of(e) + request_line("GET", "/b/2"));
      c->response(empty_response(200) + empty_response(404));
    }
    EXPECT_EQ(counted(on), counted(off));
    EXPECT_EQ(off.templates(), (std::vector<std::string>{"", ""}));
    EXPECT_EQ(off.recorder().templates_named, 0U);
  }
}

// A template id is a hash of its text: the same on every connection, and different
// texts have different ids.
TEST(UrlTemplate, IdsFollowTheText) {
  std::map<std::string, std::uint64_t> ids;
  for (const Example& e : design_table()) {
    if (std::string(e.method) == "CONNECT") continue;
    Connection c;
    c.request(line_of(e) + request_line("GET", "/users/77/profile"));
    c.response(empty_response(200) + empty_response(200));
    ASSERT_EQ(c.exchanges().size(), 2U);
    for (std::size_t i = 0; i < 2; i++) {
      const std::string text = c.templates()[i];
      const std::uint64_t id = c.exchanges()[i].url_template;
      EXPECT_EQ(id == HTTP_TMPL_NONE, text.empty()) << text;
      EXPECT_NE(id, std::uint64_t{HTTP_TMPL_OTHER});
      EXPECT_LT(id, 1ULL << 56);
      const auto [it, fresh] = ids.try_emplace(text, id);
      EXPECT_EQ(it->second, id) << text;
    }
  }
  std::set<std::uint64_t> distinct;
  for (const auto& [text, id] : ids) distinct.insert(id);
  EXPECT_EQ(distinct.size(), ids.size());
  // A literal "{id}" in a path is the same template as an identifier there.
  EXPECT_EQ(counted_template(request_line("GET", "/u/{id}")), "/u/{id}");
}

TEST(UrlTemplate, PipelinedRequestsKeepTheirOwn) {
  Connection c;
  std::string requests, responses;
  std::vector<std::string> want;
  for (const Example& e : design_table()) {
    if (std::string(e.method) == "CONNECT") continue;  // its 200 would end the connection
    requests += line_of(e);
    responses += empty_response(200);
    want.push_back(e.want);
  }
  c.request(requests);
  c.response(responses);
  EXPECT_EQ(c.templates(), want);
  // Named once per run of requests with the same template, not per request.
  Connection same;
  same.request(request_line("GET", "/a/1") + request_line("GET", "/a/2") +
               request_line("GET", "/b") + request_line("GET", "/a/3"));
  same.response(empty_response(200) + empty_response(200) + empty_response(200) +
                empty_response(200));
  EXPECT_EQ(same.templates(), (std::vector<std::string>{"/a/{id}", "/a/{id}", "/b", "/a/{id}"}));
  EXPECT_EQ(same.recorder().templates_named, 3U);
}

// The template does not depend on where segments cut the request: every cut in two,
// every cut of the line in three, byte by byte, and with the line straddling windows.
TEST(UrlTemplate, EveryCutPointGivesTheSameTemplate) {
  const std::vector<Example> cases = {
      {"GET", "/api/users/1042?tab=orders", "/api/users/{id}"},
      {"PROPFIND", "/dav/%31%32%33/x", "/dav/{id}/x"},
      {"GET", "http://example.test:8080/a/9f86d081884c7d65", "/a/{id}"},
      {"OPTIONS", "*", "*"},
      {"GET", "/api/" + std::string(70, 'a') + "/x", "/api/**"},
      {"GET", "/a/b/c/d/e/f", "/a/b/c/d/**"},
  };
  for (const Example& e : cases) {
    SCOPED_TRACE(e.target);
    const std::string req = line_of(e) + request_line("GET", "/next/1");
    const std::vector<std::string> want = {e.want, "/next/{id}"};
    const std::size_t line_end = req.find('\n') + 1;
    for (std::size_t a = 1; a < req.size(); a++) {
      Connection c;
      c.send_cut(Side::kRequest, req, {a});
      c.response(empty_response(200) + empty_response(200));
      ASSERT_EQ(c.templates(), want) << "cut at " << a;
      for (std::size_t b = a + 1; b < line_end; b++) {
        Connection d;
        d.send_cut(Side::kRequest, req, {a, b});
        d.response(empty_response(200) + empty_response(200));
        ASSERT_EQ(d.templates(), want) << "cut at " << a << " and " << b;
      }
    }
    Connection bytewise;
    bytewise.send_pieces(Side::kRequest, req, 1);
    bytewise.response(empty_response(200) + empty_response(200));
    EXPECT_EQ(bytewise.templates(), want);
    // After a window's worth of other bytes, so that the line straddles two windows.
    for (std::size_t pad = HTTP_WINDOW - line_end; pad < HTTP_WINDOW; pad += 7) {
      const std::string first = "POST /p HTTP/1.1\r\nContent-Length: ";
      const std::string body(pad, 'b');
      const std::string post = first + std::to_string(body.size()) + "\r\n\r\n" + body;
      Connection w;
      w.request(post + req);
      w.response(empty_response(200) + empty_response(200) + empty_response(200));
      ASSERT_EQ(w.templates(), (std::vector<std::string>{"/p", e.want, "/next/{id}"}))
          << "pad " << pad;
    }
  }
}

}  // namespace
}  // namespace hs_test
