#include "rfc3339.h"

#include <chrono>

namespace hs::scope {
namespace {

using Micros = std::chrono::sys_time<std::chrono::microseconds>;

// Writes `value` as exactly `width` decimal digits ending just before `end`.
char* put_digits(char* end, unsigned value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return end;
}

}  // namespace

Rfc3339 format_rfc3339(Clock::time_point t) {
  using namespace std::chrono;
  const Micros us = floor<microseconds>(t);
  const sys_days day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};

  Rfc3339 out{};
  char* p = out.data();
  put_digits(p + 4, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  p[4] = '-';
  put_digits(p + 7, static_cast<unsigned>(ymd.month()), 2);
  p[7] = '-';
  put_digits(p + 10, static_cast<unsigned>(ymd.day()), 2);
  p[10] = 'T';
  put_digits(p + 13, static_cast<unsigned>(hms.hours().count()), 2);
  p[13] = ':';
  put_digits(p + 16, static_cast<unsigned>(hms.minutes().count()), 2);
  p[16] = ':';
  put_digits(p + 19, static_cast<unsigned>(hms.seconds().count()), 2);
  p[19] = '.';
  put_digits(p + 26, static_cast<unsigned>(hms.subseconds().count()), 6);
  p[26] = 'Z';
  return out;
}

}  // namespace hs::scope
