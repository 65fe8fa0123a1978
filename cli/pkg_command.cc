// dk pkg check|tree|pack|unpack: packages and their dependency closure. `check` holds a
// package to what `dk run` needs (checked_package_launch, the one code path of both). Exit
// status: 0 ok, 2 for any bad input (a missing, unreadable or bad package, archive or closure).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <set>

#include "commands.h"
#include "dk/json.h"
#include "dk/monitor/package_store.h"
#include "dk/monitor/package_union.h"
#include "options.h"
#include "run_command.h"

namespace dk::cli {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{2};
}

struct PkgArgs {
  std::string target;
  std::vector<std::string> pkg_path;
  std::string output;
  bool json = false;
  bool verbose = false;
};

std::vector<fs::path> search_path(const PkgArgs& a) {
  return PackageStore::search_path_for(a.target, a.pkg_path);
}

std::shared_ptr<const Package> open_or_fail(const std::string& verb, const std::string& target) {
  std::error_code ec;
  if (!fs::exists(target, ec))
    fail("pkg " + verb + ": " + target + ": no such package folder or archive");
  try {
    return Package::open(target);
  } catch (const std::exception& e) {
    fail("pkg " + verb + ": " + naming(target, e.what()));
  }
}

struct Resolution {
  std::shared_ptr<const Package> root;
  std::unique_ptr<PackageStore> store;
  std::unique_ptr<PackageUnion> view;
};

Resolution resolve_or_fail(const std::string& verb, const PkgArgs& a) {
  Resolution r;
  r.root = open_or_fail(verb, a.target);
  r.store = std::make_unique<PackageStore>(search_path(a));
  try {
    r.view = std::make_unique<PackageUnion>(r.store->resolve(r.root));
  } catch (const std::exception& e) {
    fail("pkg " + verb + ": " + naming(a.target, e.what()));
  }
  return r;
}

void print_warnings(const Resolution& r, bool verbose) {
  for (const Warning& w : r.root->manifest().warnings)
    fprintf(stderr, "%s:%d: warning: %s\n", r.root->manifest().file.c_str(), w.line,
            w.text.c_str());
  for (const ClosureNode& n : r.view->closure().nodes)
    for (const std::string& w : n.package->warnings())
      fprintf(stderr, "%s: warning: %s\n", n.package->label().c_str(), w.c_str());
  // Problems elsewhere in the search path matter only when asked for.
  if (verbose)
    for (const std::string& w : r.store->warnings())
      fprintf(stderr, "search path: %s\n", w.c_str());
}

void write_closure_json(JsonWriter& j, const PackageUnion& u) {
  const Closure& c = u.closure();
  j.key("closure").begin_array();
  for (const ClosureNode& n : c.nodes) {
    j.begin_object();
    j.key("name").value(n.package->id().name);
    j.key("version").value(n.package->id().version.str());
    j.key("arch").value(n.package->id().arch);
    j.key("location").value(n.package->location().string());
    j.key("archive").value(n.package->is_archive());
    j.key("chain").value(n.chain);
    j.key("files").value(static_cast<uint64_t>(n.package->files().size()));
    j.key("depends_on").begin_array();
    for (size_t d : n.depends_on) j.value(c.nodes[d].package->id().name);
    j.end_array();
    j.end_object();
  }
  j.end_array();
  j.key("files").value(static_cast<uint64_t>(u.files().size()));
  j.key("conflicts").begin_array();
  for (const UnionConflict& k : u.conflicts())
    j.begin_object()
        .key("path")
        .value(k.path)
        .key("winner")
        .value(k.winner)
        .key("loser")
        .value(k.loser)
        .key("why")
        .value(k.why)
        .end_object();
  j.end_array();
}

void check(const PkgArgs& a) {
  Resolution r = resolve_or_fail("check", a);
  // An app must start as `dk run` starts it: app.exe resolved through the namespace to a file
  // of the closure or a mapped folder, and a loadable ELF image.
  if (r.root->manifest().app) {
    try {
      checked_package_launch(a.target, a.pkg_path, nullptr);
    } catch (const std::exception& e) {
      fail("pkg check: " + naming(a.target, e.what()));
    }
  }
  if (a.json) {
    JsonWriter j;
    j.begin_object().key("ok").value(true);
    write_closure_json(j, *r.view);
    j.end_object();
    printf("%s\n", j.str().c_str());
    return;
  }
  print_warnings(r, a.verbose);
  printf("%s: ok: %s, %zu packages in the closure, %zu files, %zu conflicts%s\n", a.target.c_str(),
         r.root->label().c_str(), r.view->closure().nodes.size(), r.view->files().size(),
         r.view->conflicts().size(), r.view->conflicts().empty() ? "" : " (see dk pkg tree)");
}

void tree(const PkgArgs& a) {
  Resolution r = resolve_or_fail("tree", a);
  if (a.json) {
    JsonWriter j;
    j.begin_object();
    write_closure_json(j, *r.view);
    j.end_object();
    printf("%s\n", j.str().c_str());
    return;
  }
  print_warnings(r, a.verbose);
  const Closure& c = r.view->closure();
  printf("%s (%s)\n", c.root().package->label().c_str(),
         c.root().package->location().string().c_str());
  std::set<size_t> shown{0};
  std::function<void(size_t, const std::string&)> walk = [&](size_t i, const std::string& indent) {
    const auto& deps = c.nodes[i].depends_on;
    for (size_t k = 0; k < deps.size(); ++k) {
      bool last = k + 1 == deps.size();
      size_t d = deps[k];
      bool again = !shown.insert(d).second;
      printf("%s%s%s%s\n", indent.c_str(), last ? "`-- " : "|-- ",
             c.nodes[d].package->label().c_str(), again ? " (see above)" : "");
      if (!again) walk(d, indent + (last ? "    " : "|   "));
    }
  };
  walk(0, "");
  if (r.view->conflicts().empty()) {
    printf("no conflicts\n");
    return;
  }
  printf("conflicts (the first package wins):\n");
  for (const UnionConflict& k : r.view->conflicts())
    printf("  %s: %s over %s (%s)\n", k.path.c_str(), k.winner.c_str(), k.loser.c_str(),
           k.why.c_str());
}

void pack(const PkgArgs& a) {
  auto pkg = open_or_fail("pack", a.target);
  if (pkg->is_archive()) fail("pkg pack: " + a.target + ": already an archive");
  for (const std::string& w : pkg->warnings())
    fprintf(stderr, "%s: warning: %s\n", pkg->label().c_str(), w.c_str());
  std::string out =
      a.output.empty() ? pkg->id().name + "-" + pkg->id().version.str() + ".dkpkg" : a.output;
  try {
    pack_package(*pkg, out);
    Archive check = Archive::open(out);  // read back: never leave a bad archive behind silently
    if (a.json) {
      JsonWriter j;
      j.begin_object().key("archive").value(out).key("package").value(pkg->id().name);
      j.key("version")
          .value(pkg->id().version.str())
          .key("files")
          .value(static_cast<uint64_t>(check.entries().size()));
      j.key("bytes").value(static_cast<uint64_t>(fs::file_size(out))).end_object();
      printf("%s\n", j.str().c_str());
    } else {
      printf("wrote %s: %s, %zu files, %ju bytes\n", out.c_str(), pkg->label().c_str(),
             check.entries().size(), static_cast<uintmax_t>(fs::file_size(out)));
    }
  } catch (const std::exception& e) {
    fail("pkg pack: " + naming(out, e.what()));
  }
}

void unpack(const PkgArgs& a) {
  if (a.output.empty()) fail("pkg unpack: give the new folder with -o DIR");
  std::error_code ec;
  if (!fs::exists(a.target, ec)) fail("pkg unpack: " + a.target + ": no such archive");
  try {
    Archive ar = Archive::open(a.target);
    unpack_archive(ar, a.output);
    printf("unpacked %s into %s: %zu files\n", a.target.c_str(), a.output.c_str(),
           ar.entries().size());
  } catch (const std::exception& e) {
    fail("pkg unpack: " + naming(a.target, e.what()));
  }
}

}  // namespace

void add_pkg_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("pkg", "Packages: check, show the dependency tree, pack into .dkpkg");
  cmd->require_subcommand(1);
  auto a = std::make_shared<PkgArgs>();
  auto target = [&](CLI::App* sub, const char* what) {
    sub->add_option("PKG", a->target, what)->required();
  };
  auto path_opt = [&](CLI::App* sub) {
    one_value_per_use(sub->add_option(
        "--pkg-path", a->pkg_path,
        "A folder of packages to resolve dependencies from, after the package's own folder "
        "(repeatable; ':' separates several in one; default: $DK_PKG_PATH, examples/ and "
        "~/.local/share/dk/packages)"));
    sub->add_flag("-v,--verbose", a->verbose,
                  "Also report unreadable or shadowed packages in the search path");
  };

  auto* chk =
      cmd->add_subcommand("check", "Check a package: manifest, dependency closure, union of files");
  target(chk, "package folder or .dkpkg file");
  path_opt(chk);
  chk->add_flag("--json", a->json, "Print the result as JSON");
  chk->callback([a] { check(*a); });

  auto* tr = cmd->add_subcommand("tree",
                                 "Show the dependency closure and the file conflicts of its union");
  target(tr, "package folder or .dkpkg file");
  path_opt(tr);
  tr->add_flag("--json", a->json, "Print the closure and conflicts as JSON");
  tr->callback([a] { tree(*a); });

  auto* pk = cmd->add_subcommand("pack", "Pack a package folder into one .dkpkg archive");
  target(pk, "package folder");
  pk->add_option("-o,--output", a->output, "Archive to write (default: NAME-VERSION.dkpkg)");
  pk->add_flag("--json", a->json, "Print the result as JSON");
  pk->callback([a] { pack(*a); });

  auto* up =
      cmd->add_subcommand("unpack", "Verify a .dkpkg archive and write it out as a package folder");
  target(up, ".dkpkg file");
  up->add_option("-o,--output", a->output, "New folder to create")->required();
  up->callback([a] { unpack(*a); });
}

}  // namespace dk::cli
