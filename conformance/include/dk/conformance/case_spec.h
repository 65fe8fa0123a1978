// A conformance case as its YAML declaration states it: what it checks (the ABI.md clause,
// the calls it covers), how to start it (image and argument) and what a conforming host
// produces (exit code, output). Loading errors throw SuiteError naming file and case.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dk::conformance {

class SuiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CaseSpec {
  enum class Match { None, Contains, Exact };

  std::string id;                  // unique: "<prefix>.<arg>" unless given
  std::string file;                // the YAML it came from (base name)
  std::string image;               // guest image name, found in the images folder
  std::string arg;                 // first argument: which case of the image runs
  std::string clause;              // e.g. "ABI.md §3 #9"
  std::vector<std::string> calls;  // call names, each one of the 45
  int64_t exit_code = 0;
  std::string output;  // expected console output (stdout)
  Match output_match = Match::None;
  std::vector<std::string> output_excludes;  // must not appear on stdout or stderr
  std::vector<std::string>
      hosts;              // host kinds it applies to ("sim", "plugin", "native"); empty: all
  bool optional = false;  // ABI.md makes the behaviour optional: NOT APPLICABLE allowed
  // Why the case cannot apply on the native runtime (docs/abi.md names each difference a
  // guest can observe there); empty: it applies.
  std::string not_on_native_runtime;
  double timeout_s = 0;   // 0: the runner's default
  std::string input;      // console input

  bool applies_to(const std::string& host_kind) const;
  // Why it does not apply to `host_kind` ("" when it does).
  std::string why_not(const std::string& host_kind) const;
};

// Every *.yaml in `dir` (sorted by name), cases in file order. Ids must be unique.
std::vector<CaseSpec> load_suite(const std::string& dir);
// One YAML file's cases.
std::vector<CaseSpec> load_case_file(const std::string& path);

// Shell-style glob (*, ?, [..]) against a case id.
bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace dk::conformance
