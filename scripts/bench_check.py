#!/usr/bin/env python3
"""Checks Google Benchmark JSON results against bench/budgets.json, and optionally against a
baseline result file (a benchmark more than 10% slower than its baseline is a regression)."""
import argparse
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def by_name(results):
    out = {}
    for b in results.get("benchmarks", []):
        if b.get("run_type", "iteration") == "iteration":
            out[b["name"].split("/")[0]] = b
    return out


def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("budgets")
    ap.add_argument("results")
    ap.add_argument("--compare")
    a = ap.parse_args()
    budgets = load(a.budgets)["budgets"]
    res = by_name(load(a.results))
    broken = 0
    for bud in budgets:
        if "numerator" in bud:
            n, d = res.get(bud["numerator"]), res.get(bud["denominator"])
            if not n or not d:
                print(f"SKIP  {bud['name']}: not measured in this run")
                continue
            c = bud["counter"]
            ratio = n[c] / d[c]
            ok = ratio <= bud["max_ratio"]
            print(f"{'OK   ' if ok else 'OVER '} {bud['name']}: {n[c]:.1f} / {d[c]:.1f} {c} = "
                  f"{ratio:.2f}x (budget {bud['max_ratio']}x, aim {bud.get('aim_ratio', '-')}x)")
        else:
            b = res.get(bud["benchmark"])
            if not b:
                print(f"SKIP  {bud['name']}: not measured in this run")
                continue
            v = ms(b)
            ok = v <= bud["max_ms"]
            print(f"{'OK   ' if ok else 'OVER '} {bud['name']}: {v:.2f} ms (budget {bud['max_ms']} ms)")
        broken += 0 if ok else 1
    if a.compare:
        base = by_name(load(a.compare))
        for name, b in res.items():
            if name in base:
                r = ms(b) / ms(base[name])
                flag = "REGRESSION" if r > 1.10 else "ok"
                print(f"{flag:10} {name}: {r:.2f}x of baseline")
                broken += 1 if r > 1.10 else 0
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
