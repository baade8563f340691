// A plain reading of the URL template rules (docs/design.md, "URL templates"), written
// from the rules and not from kernel/http_parser.h, to check it: strings and splits
// instead of one pass over bytes.
#ifndef HTTP_STATISTICS_TESTS_PARSER_REFERENCE_TEMPLATE_H
#define HTTP_STATISTICS_TESTS_PARSER_REFERENCE_TEMPLATE_H

#include <cstddef>
#include <string>
#include <string_view>

namespace hs_ref {

// The template of a request line as it was received (without its '\n', with its CR if
// it had one), of which the kernel reads the first `kept` bytes. "" when it has none.
std::string url_template(std::string_view raw_line, std::size_t kept, bool connect);

// Is this path segment (as sent, %-escapes undecoded) an identifier?
bool identifier_segment(std::string_view segment);

}  // namespace hs_ref

#endif  // HTTP_STATISTICS_TESTS_PARSER_REFERENCE_TEMPLATE_H
