#!/usr/bin/env python3
"""Checks Google Benchmark JSON results against bench/budgets.json, and optionally against a
base result file. The same rules as `dk bench` (cli/bench_command.cc):

- a benchmark's figures are its iteration entries (aggregates are skipped); with several
  repetitions of one name, the one with the median time;
- a budget names a benchmark by its full name ("BM_X/256") or its base name ("BM_X");
  budgets are a ratio of two benchmarks' counter (max_ratio), a time (max_ms), or a counter
  bound (counter with max or min); a budget whose benchmarks did not run is skipped;
- run over run, a benchmark more than 10% slower than in the base is a regression, more
  than 10% faster is reported as faster, anything between is noise.

Exit 0 when every budget holds and nothing regressed, 1 otherwise, 2 on bad input."""
import argparse
import json
import sys

THRESHOLD = 0.10
UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"bench_check: {path}: {e}", file=sys.stderr)
        sys.exit(2)


def figures(results):
    runs = {}
    for b in results.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        b = dict(b)
        b["time_ns"] = b["real_time"] * UNITS[b.get("time_unit", "ns")]
        runs.setdefault(b["name"], []).append(b)
    out = {}
    for name, v in runs.items():
        v.sort(key=lambda b: b["time_ns"])
        out[name] = v[(len(v) - 1) // 2]
    return out


def find(res, key):
    if key in res:
        return res[key]
    for name, b in res.items():
        if name.startswith(key + "/"):
            return b
    return None


def check(bud, res):
    """Returns (verdict, detail): verdict 'OK', 'OVER' or 'SKIP'."""
    if "numerator" in bud:
        n, d = find(res, bud["numerator"]), find(res, bud["denominator"])
        if not n or not d:
            return "SKIP", "not measured in this run"
        c = bud["counter"]
        ratio = n[c] / d[c]
        ok = ratio <= bud["max_ratio"]
        return ("OK" if ok else "OVER"), (
            f"{n[c]:.1f} / {d[c]:.1f} {c} = {ratio:.2f}x (budget {bud['max_ratio']:.2f}x"
            + (f", aim {bud['aim_ratio']:.2f}x" if "aim_ratio" in bud else "") + ")")
    b = find(res, bud["benchmark"])
    if not b:
        return "SKIP", "not measured in this run"
    if "max_ms" in bud:
        v = b["time_ns"] / 1e6
        return ("OK" if v <= bud["max_ms"] else "OVER"), f"{v:.2f} ms (budget {bud['max_ms']:.2f} ms)"
    c = bud["counter"]
    v = b[c]
    if "max" in bud:
        return ("OK" if v <= bud["max"] else "OVER"), f"{v:.2f} {c} (budget <= {bud['max']:.2f})"
    return ("OK" if v >= bud["min"] else "OVER"), f"{v:.2f} {c} (budget >= {bud['min']:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("budgets")
    ap.add_argument("results")
    ap.add_argument("--compare")
    a = ap.parse_args()
    budgets = load(a.budgets)["budgets"]
    res = figures(load(a.results))
    broken = 0
    for bud in budgets:
        verdict, detail = check(bud, res)
        print(f"{verdict:5} {bud['name']}: {detail}")
        broken += verdict == "OVER"
    if a.compare:
        base = figures(load(a.compare))
        for name, b in res.items():
            if name not in base:
                print(f"{'new':10} {name}: not in the base run")
                continue
            old = base[name]["time_ns"]
            r = b["time_ns"] / old if old > 0 else (1.0 if b["time_ns"] <= 0 else float("inf"))
            flag = "regression" if r > 1 + THRESHOLD else "faster" if r < 1 - THRESHOLD else "same"
            print(f"{flag:10} {name}: {r:.2f}x of base")
            broken += flag == "regression"
        for name in base:
            if name not in res:
                print(f"{'missing':10} {name}: in the base run only")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
