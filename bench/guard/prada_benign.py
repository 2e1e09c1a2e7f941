"""How often PRADA (as ExtractionCheck runs it) flags benign clients, and when it catches the scripted attack.

A model of the C# check in numpy/scipy, for sweeping its settings quickly: each query's minimum distance (Euclidean
over sqrt(features)) to the client's last `recent` queries enters the set once `warm` earlier queries are remembered;
the set keeps the last `maxd`; from `mintest` distances on, Shapiro-Wilk W is computed after every query and the
client is flagged the first time W < delta. Clients: independent standard Gaussian queries in 2..64 dimensions, and
replays of scikit-learn's digits test half (100-200 distinct images per client). The attack is the one of
tests/Rampart.Guard.Tests/Detectors/Extraction/extraction_attack.py (its JSON output, saved to a file).

usage: [PRADA_DIMENSIONS=2,4,8,16,64] /usr/bin/python3 bench/guard/prada_benign.py CLIENTS QUERIES ATTACK.json "" "warm=16,mintest=50" ...
"""
import json
import os
import sys

import numpy as np
from scipy.stats import shapiro
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

DIMENSIONS = [int(d) for d in os.environ.get("PRADA_DIMENSIONS", "2,4,8,16,64").split(",")]


def first_flag(queries, recent=64, maxd=256, mintest=30, delta=0.87, warm=0):
    history, distances = [], []
    for i, q in enumerate(queries):
        if len(history) >= max(1, warm):
            h = np.array(history[-recent:])
            distances.append(np.sqrt(((h - q) ** 2).sum(1) / len(q)).min())
            distances = distances[-maxd:]
        history.append(q)
        if len(distances) >= mintest and shapiro(distances).statistic < delta:
            return i + 1
    return None


def main():
    clients, queries, attack_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    settings = [dict((k, float(v) if k == "delta" else int(v)) for k, v in (p.split("=") for p in a.split(",") if p)) for a in sys.argv[4:]]
    X, y = load_digits(return_X_y=True)
    _, X_test, _, _ = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    attack = np.array(json.load(open(attack_file))["attack"])
    makers = {f"gaussian-{d}": (lambda k, d=d: np.random.default_rng(1000 + k).normal(size=(queries, d))) for d in DIMENSIONS}
    makers["digits-replay"] = lambda k: X_test[np.random.default_rng(5000 + k).permutation(len(X_test))[:queries]]
    print("| settings | attack flagged at query | " + " | ".join(makers) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in makers) + " |")
    for s in settings:
        rates = [sum(first_flag(make(k), **s) is not None for k in range(clients)) / clients for make in makers.values()]
        print(f"| {s or 'before (warm 0, min 30)'} | {first_flag(attack, **s)} | " + " | ".join(f"{r:.1%}" for r in rates) + " |", flush=True)


if __name__ == "__main__":
    main()
