// dk run --audit FILE: one JSON line per foreign trap, refused downcall and quota hit, with
// the site and the disassembled instruction; refusals name who refused: the dispatcher (its
// argument checks: FAULT, INVAL, NAMETOOLONG, before any host saw the call) or the host
// (EXIST, INVAL, FAULT of the address space, ...). Each kind is checked line by line.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "dk/auditor.h"
#include "dk_cli.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

// The lines byte for byte, every kind: compact JSON, keys in a fixed order, strings quoted by
// the one quoting rule.
class RefusingHost : public Host {
 public:
  std::string_view name() const override { return "refusing"; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
  dk_status_t serve(CallContext&, Call&) override { return -DK_E_ACCESS; }
};

TEST(AuditLines, ExactBytes) {
  RefusingHost host;
  std::ostringstream out;
  Auditor a(host, out);
  a.on_foreign_trap({5, 1, 2, 0x401000}, DK_TRAP_SYSCALL | 0x8000, 60);
  a.on_refused({6, 1, 2, 0x401010}, calls::DkStreamOpen, -DK_E_NOENT);
  a.on_refused({7, 3, 1, 0x401020}, 99, -DK_E_QUOTA);
  a.on_end({8, 1, 2, 0}, 3, -DK_E_QUOTA, "tick \"limit\"\n\xff");
  a.on_end({9, 1, 2, 0}, 0, 0, "exited");  // not a quota: no line
  EXPECT_EQ(a.lines(), 4u);
  const std::string noent = std::to_string(-DK_E_NOENT), quota = std::to_string(-DK_E_QUOTA);
  EXPECT_EQ(out.str(),
            "{\"kind\":\"foreign_trap\",\"tick\":5,\"pid\":1,\"thread\":2,\"rip\":4198400,\"instruction\":\"\","
            "\"detail\":" + std::to_string(DK_TRAP_SYSCALL | 0x8000) + ",\"number\":60}\n"
            "{\"kind\":\"refused\",\"tick\":6,\"pid\":1,\"thread\":2,\"rip\":4198416,\"instruction\":\"\","
            "\"call\":\"DkStreamOpen\",\"index\":21,\"status\":" + noent +
            ",\"status_name\":\"NOENT\",\"by\":\"dispatcher\"}\n"
            "{\"kind\":\"quota\",\"tick\":7,\"pid\":3,\"thread\":1,\"rip\":4198432,\"instruction\":\"\","
            "\"call\":\"call 99\",\"index\":99,\"status\":" + quota +
            ",\"status_name\":\"QUOTA\",\"by\":\"dispatcher\"}\n"
            "{\"kind\":\"quota\",\"tick\":8,\"pid\":1,\"thread\":2,\"rip\":0,\"instruction\":\"\","
            "\"end\":3,\"message\":\"tick \\\"limit\\\"\\n\\u00ff\"}\n");
}

class AuditTest : public testing::DkCliTest {
 protected:
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
  // The raw value of "key": in a line ("" when absent): a number, or a string with quotes.
  static std::string field(const std::string& line, const std::string& key) {
    const std::string k = "\"" + key + "\":";
    const size_t at = line.find(k);
    if (at == std::string::npos) return "";
    const size_t from = at + k.size();
    size_t to = from;
    if (line[from] == '"')
      to = line.find('"', from + 1) + 1;
    else
      while (to < line.size() && line[to] != ',' && line[to] != '}') ++to;
    return line.substr(from, to - from);
  }
  // "kind call status_name by" of every line, and each line's site fields checked.
  static std::vector<std::string> refusals(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines) {
      EXPECT_EQ(l.front(), '{') << l;
      EXPECT_EQ(l.back(), '}') << l;
      for (const char* site : {"tick", "pid", "thread", "rip"})
        EXPECT_FALSE(field(l, site).empty()) << site << " missing: " << l;
      EXPECT_EQ(field(l, "pid"), "1") << l;
      EXPECT_EQ(field(l, "instruction"), "\"syscall\"") << l;
      out.push_back(field(l, "kind") + " " + field(l, "call") + " " + field(l, "status_name") +
                    " " + field(l, "by"));
    }
    return out;
  }
  static size_t count(const std::vector<std::string>& lines, const std::string& part) {
    size_t n = 0;
    for (const auto& l : lines) n += l.find(part) != std::string::npos;
    return n;
  }
  std::string g(const std::string& name) { return std::string(DK_GUEST_DIR) + "/" + name; }
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
  // The vm case (tests/guest/emu_guest.c) makes calls the address space refuses (host side),
  // then one with a bad out-pointer the dispatcher refuses before the host sees it.
  int rc = -1;
  const auto lines = audit(g("emu_guest") + " -- vm", &rc);
  EXPECT_EQ(rc, 0);
  const std::string host = "\"refused\" \"DkVirtualMemoryAllocate\" ";
  const std::string protect = "\"refused\" \"DkVirtualMemoryProtect\" ";
  const std::vector<std::string> want = {
      host + "\"INVAL\" \"host\"",      host + "\"EXIST\" \"host\"",
      host + "\"EXIST\" \"host\"",      protect + "\"FAULT\" \"host\"",
      protect + "\"FAULT\" \"host\"",   host + "\"INVAL\" \"host\"",
      host + "\"INVAL\" \"host\"",      host + "\"INVAL\" \"host\"",
      host + "\"FAULT\" \"dispatcher\""};
  EXPECT_EQ(refusals(lines), want);
  for (const auto& l : lines) {
    EXPECT_EQ(field(l, "index"), field(l, "call") == "\"DkVirtualMemoryProtect\"" ? "3" : "1");
    const std::string st = field(l, "status"), name = field(l, "status_name");
    EXPECT_EQ(st, name == "\"INVAL\"" ? "-1" : name == "\"FAULT\"" ? "-2" : "-7") << l;
  }
  // A clean run audits nothing.
  EXPECT_TRUE(audit(g("hello")).empty());
}

// Refusals of the dispatcher's argument checks, one kind each: INVAL (a wait on zero
// handles), FAULT (a wait whose handle array is unmapped) and NAMETOOLONG (an over-long
// URI). No host saw these calls, so none is "by":"host".
TEST_F(AuditTest, DispatcherRefusalsOfEachKind) {
  int rc = -1;
  auto lines = audit(g("conf_sync") + " -- wait_n_zero", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(refusals(lines),
            std::vector<std::string>{"\"refused\" \"DkObjectsWaitAny\" \"INVAL\" \"dispatcher\""});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(field(lines[0], "index"), "16");
  EXPECT_EQ(field(lines[0], "status"), "-1");

  lines = audit(g("conf_sync") + " -- wait_handles_fault", &rc);
  EXPECT_EQ(rc, 0);
  ASSERT_FALSE(lines.empty());
  for (const auto& r : refusals(lines))
    EXPECT_EQ(r, "\"refused\" \"DkObjectsWaitAny\" \"FAULT\" \"dispatcher\"");
  EXPECT_EQ(field(lines[0], "status"), "-2");

  lines = audit(g("conf_stream") + " -- open_uri_too_long", &rc);
  EXPECT_EQ(rc, 0);
  ASSERT_FALSE(lines.empty());
  for (const auto& r : refusals(lines))
    EXPECT_EQ(r, "\"refused\" \"DkStreamOpen\" \"NAMETOOLONG\" \"dispatcher\"");
  EXPECT_EQ(field(lines[0], "index"), "21");
  EXPECT_EQ(field(lines[0], "status"), "-21");
}

// A quota hit is its own kind: the thread limit of a bare image (64) refuses a
// DkThreadCreate with QUOTA, by the host.
TEST_F(AuditTest, QuotaHitIsAQuotaLine) {
  int rc = -1;
  const auto lines = audit(g("quota_guest") + " -- threads", &rc);
  EXPECT_EQ(rc, 13);
  EXPECT_EQ(refusals(lines),
            std::vector<std::string>{"\"quota\" \"DkThreadCreate\" \"QUOTA\" \"host\""});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(field(lines[0], "status"), "-13");
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
