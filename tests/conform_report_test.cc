// The conformance reports are well-formed: the JUnit XML parses (with a strict little XML
// reader) and has the counts CI systems read, TAP follows version 13's grammar, and the
// matrix has a row per call. Also: suite declarations that are wrong are refused by line.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "dk/conformance/case_spec.h"
#include "dk/conformance/report.h"

namespace dk::conformance {
namespace {

// A strict XML 1.0 reader for what a report can contain: declaration, elements,
// attributes, text, the five entities and numeric references. Throws on anything else.
struct XmlNode {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<XmlNode> children;
  std::string text;
};

class XmlReader {
 public:
  explicit XmlReader(const std::string& s) : s_(s) {}
  XmlNode parse() {
    skip_ws();
    if (s_.compare(p_, 5, "<?xml") == 0) {
      p_ = s_.find("?>", p_);
      if (p_ == std::string::npos) throw std::runtime_error("unterminated declaration");
      p_ += 2;
    }
    skip_ws();
    XmlNode root = element();
    skip_ws();
    if (p_ != s_.size()) throw std::runtime_error("content after the root element");
    return root;
  }

 private:
  void skip_ws() {
    while (p_ < s_.size() && isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  void expect(char c) {
    if (p_ >= s_.size() || s_[p_] != c)
      throw std::runtime_error(std::string("expected ") + c + " at " + std::to_string(p_));
    ++p_;
  }
  std::string name() {
    size_t b = p_;
    while (p_ < s_.size() && (isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_' ||
                              s_[p_] == '-' || s_[p_] == ':' || s_[p_] == '.'))
      ++p_;
    if (b == p_) throw std::runtime_error("expected a name at " + std::to_string(p_));
    return s_.substr(b, p_ - b);
  }
  std::string decode(const std::string& raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '<') throw std::runtime_error("raw < in text");
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
        throw std::runtime_error("control character in XML");
      if (c != '&') {
        out += c;
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string::npos) throw std::runtime_error("bad entity");
      std::string ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "amp")
        out += '&';
      else if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (!ent.empty() && ent[0] == '#')
        out += static_cast<char>(std::stoi(ent.substr(1)));
      else
        throw std::runtime_error("unknown entity &" + ent + ";");
      i = semi;
    }
    return out;
  }
  XmlNode element() {
    XmlNode n;
    expect('<');
    n.name = name();
    for (;;) {
      skip_ws();
      if (s_.compare(p_, 2, "/>") == 0) {
        p_ += 2;
        return n;
      }
      if (p_ < s_.size() && s_[p_] == '>') {
        ++p_;
        break;
      }
      std::string a = name();
      skip_ws();
      expect('=');
      skip_ws();
      char q = s_[p_];
      if (q != '"' && q != '\'') throw std::runtime_error("unquoted attribute");
      ++p_;
      size_t end = s_.find(q, p_);
      if (end == std::string::npos) throw std::runtime_error("unterminated attribute");
      if (n.attrs.count(a)) throw std::runtime_error("repeated attribute " + a);
      n.attrs[a] = decode(s_.substr(p_, end - p_));
      p_ = end + 1;
    }
    for (;;) {
      size_t lt = s_.find('<', p_);
      if (lt == std::string::npos) throw std::runtime_error("unclosed <" + n.name + ">");
      n.text += decode(s_.substr(p_, lt - p_));
      p_ = lt;
      if (s_.compare(p_, 2, "</") == 0) {
        p_ += 2;
        if (name() != n.name) throw std::runtime_error("mismatched close of <" + n.name + ">");
        skip_ws();
        expect('>');
        return n;
      }
      n.children.push_back(element());
    }
  }
  const std::string& s_;
  size_t p_ = 0;
};

std::vector<CaseSpec>& specs() {
  static std::vector<CaseSpec> v = [] {
    std::vector<CaseSpec> s(5);
    s[0].id = "g.pass";
    s[0].calls = {"DkSemaphoreCreate"};
    s[1].id = "g.fail";
    s[1].calls = {"DkSemaphoreCreate", "DkEventSet"};
    s[2].id = "h.broken";
    s[3].id = "h.na";
    s[4].id = "h.nasty";
    for (auto& c : s) c.clause = "ABI.md §3 #9";
    return s;
  }();
  return v;
}

std::vector<CaseResult> sample(const std::string& host = "sim") {
  auto& s = specs();
  std::vector<CaseResult> r(5);
  for (int i = 0; i < 5; ++i) {
    r[i].spec = &s[i];
    r[i].host = host;
    r[i].seconds = 0.25;
  }
  r[0].verdict = Verdict::Pass;
  r[1].verdict = Verdict::Fail;
  r[1].reason = "FAIL sync.c:10 a < b && c > \"d\" got -3 want 0";
  r[1].output = "line\x01 with control & <tags>\n";
  r[2].verdict = Verdict::Broken;
  r[2].reason = "image conf_x not found";
  r[3].verdict = Verdict::NotApplicable;
  r[3].reason = "applies to sim only";
  r[4].verdict = Verdict::Fail;
  r[4].reason = "reason with # hash\nand newline";
  return r;
}

TEST(ConformReports, JUnitIsWellFormedXmlWithTheCounts) {
  auto results = sample();
  auto more = sample("plugin:/x/tiny.so");
  results.insert(results.end(), more.begin(), more.end());
  const std::string xml = junit_report(results);
  XmlNode root;
  ASSERT_NO_THROW(root = XmlReader(xml).parse()) << xml;
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.attrs["tests"], "10");
  EXPECT_EQ(root.attrs["failures"], "4");
  EXPECT_EQ(root.attrs["errors"], "2");
  EXPECT_EQ(root.attrs["skipped"], "2");
  ASSERT_EQ(root.children.size(), 2u);
  for (const auto& suite : root.children) {
    EXPECT_EQ(suite.name, "testsuite");
    EXPECT_EQ(suite.attrs.at("tests"), "5");
    EXPECT_EQ(suite.attrs.at("failures"), "2");
    int cases = 0, failures = 0, errors = 0, skipped = 0;
    for (const auto& c : suite.children) {
      if (c.name != "testcase") continue;
      ++cases;
      EXPECT_FALSE(c.attrs.at("classname").empty());
      EXPECT_FALSE(c.attrs.at("name").empty());
      for (const auto& k : c.children) {
        failures += k.name == "failure";
        errors += k.name == "error";
        skipped += k.name == "skipped";
        if (k.name == "failure" && c.attrs.at("name") == "g.fail") {
          EXPECT_EQ(k.attrs.at("message"), results[1].reason);  // round-trips through escaping
        }
      }
    }
    EXPECT_EQ(cases, 5);
    EXPECT_EQ(failures, 2);
    EXPECT_EQ(errors, 1);
    EXPECT_EQ(skipped, 1);
  }
}

TEST(ConformReports, TapFollowsVersion13) {
  const std::string tap = tap_report(sample());
  std::istringstream in(tap);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "TAP version 13");
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "1..5");
  const std::regex test_line(R"(^(ok|not ok) (\d+) - ([^#]+?)( # SKIP .*)?$)");
  int n = 0, not_ok = 0, skips = 0;
  bool in_yaml = false;
  while (std::getline(in, line)) {
    if (in_yaml) {
      if (line == "  ...")
        in_yaml = false;
      else
        EXPECT_EQ(line.rfind("  ", 0), 0u) << line;
      continue;
    }
    if (line == "  ---") {
      in_yaml = true;
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, test_line)) << line;
    EXPECT_EQ(std::stoi(m[2]), ++n);
    not_ok += m[1] == "not ok";
    skips += m[4].matched;
  }
  EXPECT_FALSE(in_yaml);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(not_ok, 3);  // fail, broken, fail
  EXPECT_EQ(skips, 1);
}

TEST(ConformReports, JsonAndTableAndMatrix) {
  auto results = sample();
  const std::string json = json_report(results);
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
      else
        EXPECT_GE(static_cast<unsigned char>(c), 0x20);
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    EXPECT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_NE(json.find("\"verdict\": \"broken\""), std::string::npos);

  const std::string table = table_report(results, false);
  EXPECT_NE(table.find("sim: 5 cases, 1 pass, 2 fail, 1 broken, 1 not applicable"),
            std::string::npos)
      << table;

  const std::string matrix = matrix_report(results, false);
  EXPECT_EQ(std::count(matrix.begin(), matrix.end(), '\n'), 46);  // header + 45 calls
  EXPECT_NE(matrix.find("DkSemaphoreCreate"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(matrix, m, std::regex(R"(DkSemaphoreCreate\s+(\d+)\s+(\d+)/(\d+) pass)")));
  EXPECT_EQ(m[1], "2");
  EXPECT_EQ(m[2], "1");
  EXPECT_EQ(m[3], "2");
}

std::string write_yaml(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "dk_conform_report_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConformSuite, DeclarationsAreChecked) {
  EXPECT_THROW(load_case_file(write_yaml(
                   "a.yaml", "image: x\nclause: c\ncases:\n  - {arg: a, colour: red}\n")),
               SuiteError);
  EXPECT_THROW(load_case_file(write_yaml(
                   "b.yaml", "image: x\nclause: c\ncases:\n  - {arg: a, calls: [DkNope]}\n")),
               SuiteError);
  EXPECT_THROW(load_case_file(write_yaml("c.yaml", "image: x\ncases:\n  - {arg: a}\n")),
               SuiteError);
  auto ok = load_case_file(write_yaml("d.yaml",
                                      "image: x\nprefix: p\nclause: c\nexit: 3\ncases:\n  - {arg: "
                                      "a}\n  - {arg: b, exit: 0, hosts: [sim], optional: true}\n"));
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].id, "p.a");
  EXPECT_EQ(ok[0].exit_code, 3);
  EXPECT_EQ(ok[1].exit_code, 0);
  EXPECT_TRUE(ok[1].applies_to("sim"));
  EXPECT_FALSE(ok[1].applies_to("plugin"));
  EXPECT_TRUE(ok[1].optional);
  EXPECT_TRUE(glob_match("sync.*", "sync.wait_n_zero"));
  EXPECT_FALSE(glob_match("sync.*", "vm.alloc"));
}

}  // namespace
}  // namespace dk::conformance
