// A small streaming JSON writer for the --json output of the monitor's commands: objects,
// arrays, strings (escaped; bytes that are not UTF-8 pass through), numbers, booleans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dk {

// `s` as a JSON string literal, quotes included: the one quoting rule of every --json, JUnit
// and report output. Valid UTF-8 passes through; ", \ and control characters are escaped;
// a byte that is not part of valid UTF-8 becomes \u00XX (its Latin-1 reading), so the
// output is always valid JSON whatever bytes a guest wrote.
std::string json_quote(std::string_view s);

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(uint64_t n);
  JsonWriter& value(int64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  const std::string& str() const { return out_; }

 private:
  void separate();
  void quote(std::string_view s);
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace dk
