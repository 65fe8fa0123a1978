// dk run --audit FILE: one JSON line per foreign trap, refused downcall and quota hit, with
// the site and the disassembled instruction; refusals name who refused (dispatcher or host).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ci_guard.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dk_ = fs::path(DK_BINARY_DIR) / "cli" / "dk";
    DK_REQUIRE(fs::exists(dk_), "dk is not built");
    char tmpl[] = "/tmp/dk-audit-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // Runs dk and returns the audit file's lines.
  std::vector<std::string> audit(const std::string& args, int* rc = nullptr) {
    const std::string cmd = "cd '" + dir_.string() + "' && '" + dk_.string() +
                            "' run --audit a.jsonl " + args + " >out.txt 2>err.txt </dev/null";
    const int st = std::system(cmd.c_str());
    if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(dir_ / "a.jsonl");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  static size_t count(const std::vector<std::string>& lines, const std::string& part) {
    size_t n = 0;
    for (const auto& l : lines) n += l.find(part) != std::string::npos;
    return n;
  }
  std::string g(const std::string& name) { return std::string(DK_GUEST_DIR) + "/" + name; }
  fs::path dk_, dir_;
};

TEST_F(AuditTest, ForeignTrapWithItsInstruction) {
  int rc = 0;
  const auto lines = audit(g("escape"), &rc);
  EXPECT_EQ(rc, 133);
  ASSERT_EQ(count(lines, "\"kind\":\"foreign_trap\""), 1u) << (lines.empty() ? "" : lines[0]);
  for (const auto& l : lines) {
    if (l.find("foreign_trap") == std::string::npos) continue;
    EXPECT_NE(l.find("\"instruction\":\"syscall\""), std::string::npos) << l;
    EXPECT_NE(l.find("\"pid\":1,\"thread\":1"), std::string::npos) << l;
    EXPECT_EQ(l.front(), '{');
    EXPECT_EQ(l.back(), '}');
  }
}

TEST_F(AuditTest, RefusalsNameWhoRefused) {
  // The vm case makes calls the address space refuses (host side) and bad pointers
  // (dispatcher side).
  const auto lines = audit(g("emu_guest") + " -- vm");
  EXPECT_GT(count(lines, "\"kind\":\"refused\""), 0u);
  EXPECT_GT(count(lines, "\"by\":\"host\""), 0u);
  EXPECT_EQ(count(lines, "\"kind\":\"foreign_trap\""), 0u);
  for (const auto& l : lines) {
    EXPECT_NE(l.find("\"instruction\":\"syscall\""), std::string::npos) << l;
    EXPECT_NE(l.find("\"status_name\":"), std::string::npos) << l;
  }
  // A clean run audits nothing.
  EXPECT_TRUE(audit(g("hello")).empty());
}

TEST_F(AuditTest, AuditAndTraceTogether) {
  const std::string cmd = "cd '" + dir_.string() + "' && '" + dk_.string() +
                          "' run --audit a.jsonl --trace t.dktrace " + g("escape") +
                          " >/dev/null 2>&1; '" + dk_.string() +
                          "' replay -q t.dktrace >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 0);
  std::ifstream in(dir_ / "a.jsonl");
  std::string l;
  ASSERT_TRUE(std::getline(in, l));
  EXPECT_NE(l.find("foreign_trap"), std::string::npos) << l;
}

}  // namespace
}  // namespace dk
