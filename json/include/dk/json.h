// The one JSON writer of every --json output, report and trace export: the quoting rule and
// a streaming builder of objects, arrays, strings, numbers and booleans. Compact by default;
// a container begun with Layout::Lines puts each member on its own indented line, and a
// writer built spaced separates with ", " and ": " (the conformance reports' shape).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dk {

// `s` as a JSON string literal, quotes included: the one quoting rule of every --json, JUnit
// and report output. Valid UTF-8 passes through; ", \ and control characters are escaped;
// a byte that is not part of valid UTF-8 becomes \u00XX (its Latin-1 reading), so the
// output is always valid JSON whatever bytes a guest wrote.
std::string json_quote(std::string_view s);

class JsonWriter {
 public:
  enum class Layout { Inline, Lines };

  JsonWriter() = default;
  // spaced: ", " between members and ": " after a key, instead of "," and ":".
  explicit JsonWriter(bool spaced) : spaced_(spaced) {}

  JsonWriter& begin_object(Layout layout = Layout::Inline);
  JsonWriter& end_object();
  JsonWriter& begin_array(Layout layout = Layout::Inline);
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
  // A value already written as JSON: a number formatted by the caller ("0.125"), or the
  // output of another writer.
  JsonWriter& raw(std::string_view json);
  // key(k).value(v).
  template <class T>
  JsonWriter& field(std::string_view k, T&& v) {
    return key(k).value(std::forward<T>(v));
  }
  const std::string& str() const { return out_; }

 private:
  struct Open {
    bool first = true;  // nothing written in it yet
    bool lines = false;
  };
  void separate();
  void open(char bracket, Layout layout);
  void close(char bracket);
  void newline(size_t depth);
  std::string out_;
  std::vector<Open> open_;
  bool after_key_ = false;
  bool spaced_ = false;
};

}  // namespace dk
