// A small strict JSON parser for tests (RFC 8259: no trailing commas, no comments, no
// leading zeros, escapes checked, UTF-8 passed through), so tests assert the structure of
// dk's JSON outputs instead of finding strings in them. parse_json throws JsonParseError
// naming the offset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dk::test {

struct JsonParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool boolean = false;
  std::string text;  // String: the decoded value; Number: the literal as written
  std::vector<Json> items;
  std::map<std::string, Json> members;

  bool is_uint() const {
    return type == Number && text.find_first_not_of("0123456789") == std::string::npos;
  }
  uint64_t u64() const {
    return is_uint() ? std::stoull(text) : throw JsonParseError("not an unsigned integer: " + text);
  }
  bool has(const std::string& k) const { return type == Object && members.count(k) != 0; }
  const Json& operator[](const std::string& k) const {
    auto it = members.find(k);
    if (type != Object || it == members.end()) throw JsonParseError("no member '" + k + "'");
    return it->second;
  }
};

namespace json_detail {

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Json document() {
    Json v = value(0);
    ws();
    if (i_ != s_.size()) fail("trailing bytes");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw JsonParseError("JSON at offset " + std::to_string(i_) + ": " + why);
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  void literal(const char* word) {
    for (const char* p = word; *p; ++p) expect(*p);
  }

  Json value(int depth) {
    if (depth > 256) fail("nested too deep");
    ws();
    Json v;
    switch (peek()) {
      case '{':
        object(v, depth);
        break;
      case '[':
        array(v, depth);
        break;
      case '"':
        v.type = Json::String;
        v.text = string();
        break;
      case 't':
        literal("true");
        v.type = Json::Bool;
        v.boolean = true;
        break;
      case 'f':
        literal("false");
        v.type = Json::Bool;
        break;
      case 'n':
        literal("null");
        break;
      default:
        number(v);
    }
    return v;
  }

  void object(Json& v, int depth) {
    v.type = Json::Object;
    expect('{');
    ws();
    if (peek() == '}') {
      ++i_;
      return;
    }
    for (;;) {
      ws();
      if (peek() != '"') fail("expected a member name");
      std::string k = string();
      if (v.members.count(k)) fail("duplicate member '" + k + "'");
      ws();
      expect(':');
      v.members[k] = value(depth + 1);
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void array(Json& v, int depth) {
    v.type = Json::Array;
    expect('[');
    ws();
    if (peek() == ']') {
      ++i_;
      return;
    }
    for (;;) {
      v.items.push_back(value(depth + 1));
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect(']');
      return;
    }
  }

  static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  void utf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) {
      o += static_cast<char>(cp);
    } else if (cp < 0x800) {
      o += static_cast<char>(0xc0 | cp >> 6);
      o += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      o += static_cast<char>(0xe0 | cp >> 12);
      o += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      o += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      o += static_cast<char>(0xf0 | cp >> 18);
      o += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      o += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      o += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  uint32_t hex4() {
    uint32_t cp = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hexval(peek());
      if (h < 0) fail("bad \\u escape");
      cp = cp << 4 | static_cast<uint32_t>(h);
      ++i_;
    }
    return cp;
  }

  std::string string() {
    expect('"');
    std::string o;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return o;
      if (c < 0x20) fail("control character in a string");
      if (c != '\\') {
        o += static_cast<char>(c);
        continue;
      }
      const char e = peek();
      ++i_;
      switch (e) {
        case '"':
          o += '"';
          break;
        case '\\':
          o += '\\';
          break;
        case '/':
          o += '/';
          break;
        case 'b':
          o += '\b';
          break;
        case 'f':
          o += '\f';
          break;
        case 'n':
          o += '\n';
          break;
        case 'r':
          o += '\r';
          break;
        case 't':
          o += '\t';
          break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00) {
            literal("\\u");
            const uint32_t lo = hex4();
            if (lo < 0xdc00 || lo >= 0xe000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            fail("unpaired surrogate");
          }
          utf8(o, cp);
          break;
        }
        default:
          --i_;
          fail("bad escape");
      }
    }
  }

  void number(Json& v) {
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (peek() >= '0' && peek() <= '9') ++i_;
      return i_ - from;
    };
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (digits() == 0) {
      fail("expected a value");
    }
    if (peek() == '.') {
      ++i_;
      if (digits() == 0) fail("digits after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (digits() == 0) fail("digits in the exponent");
    }
    v.type = Json::Number;
    v.text = s_.substr(start, i_ - start);
  }

  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace json_detail

inline Json parse_json(const std::string& s) {
  return json_detail::Parser(s).document();
}

}  // namespace dk::test
