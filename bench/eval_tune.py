#!/usr/bin/env python3
"""Chooses fusion settings for several dev sets at once, from bench/eval.py results.

    bench/eval_tune.py bench/eval/results/en.json bench/eval/results/zh.json [--top 10]

Each results file holds the offline fusion grid of one corpus (every k, keyword/vector
weight and depth, with its metrics) and the BM25 anchor's metrics from the same run. A
setting is judged by its worst corpus: first whether it finds at least as many answers
in the top 5 as the anchor everywhere, then the smallest MRR@5 ratio to the anchor, then
the smallest hit@5 ratio. Printed: the best settings with every corpus's numbers, and
the server's current settings for comparison.
"""
import argparse
import json
from pathlib import Path


def load(path):
    result = json.loads(Path(path).read_text())
    anchor = result["metrics"]["bm25"]
    grid = {(s["k"], s["w_vector"], s["w_keyword"], s["depth"]): s for s in result["fusion"]["all"]}
    return {"name": Path(path).stem, "anchor": anchor, "grid": grid, "served": result["metrics"]["hybrid"],
            "server": result["fusion"].get("server_settings")}


def judge(setting, corpora):
    rows = [corpus["grid"][setting] for corpus in corpora]
    meets_hits = all(row["found@5"] >= corpus["anchor"]["found@5"] for row, corpus in zip(rows, corpora))
    mrr = min(row["MRR@5"] / corpus["anchor"]["MRR@5"] for row, corpus in zip(rows, corpora))
    hits = min(row["hit@5"] / corpus["anchor"]["hit@5"] for row, corpus in zip(rows, corpora))
    return (meets_hits, round(mrr, 9), round(hits, 9)), rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    corpora = [load(path) for path in args.results]
    shared = set.intersection(*(set(corpus["grid"]) for corpus in corpora))
    ranked = sorted(shared, key=lambda s: judge(s, corpora)[0], reverse=True)
    names = " | ".join(f"{c['name']}: found@5 MRR@5 (x anchor)" for c in corpora)
    print(f"setting (k, w_vector, w_keyword, depth) | {names}")
    for corpus in corpora:
        a = corpus["anchor"]
        print(f"  anchor {corpus['name']}: found@5 {a['found@5']}/{a['total']}, MRR@5 {a['MRR@5']:.3f}; "
              f"served hybrid: {corpus['served']['found@5']}, MRR@5 {corpus['served']['MRR@5']:.3f}; "
              f"server settings {corpus['server']}")
    for setting in ranked[:args.top]:
        (meets, _, _), rows = judge(setting, corpora)
        cells = " | ".join(f"{row['found@5']:>3} {row['MRR@5']:.3f} ({row['MRR@5'] / c['anchor']['MRR@5']:.2f}x)"
                           for row, c in zip(rows, corpora))
        print(f"k={setting[0]:g} wv={setting[1]:g} wk={setting[2]:g} d={setting[3]} | {cells}"
              + ("" if meets else "  (fewer found than the anchor somewhere)"))


if __name__ == "__main__":
    main()
