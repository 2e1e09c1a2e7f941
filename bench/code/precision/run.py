"""Precision corpus for the code review (issue 18): scans pinned snapshots of public ML repositories with this
build and with a reference build (today's main), and compares the findings with the judgements in judgements.json.

  python3 bench/code/precision/run.py --new NEW/rampart.dll --main MAIN/rampart.dll [--main-label TEXT] [--work DIR] [--out FILE] [--pending]

Snapshots are read from /work/.mirror/<owner>+<name>/repo (git directories written by the search tool's fetch) at the
commit the manifest pins; only .py and .ipynb files are extracted, into --work (never into the repository). A finding
is keyed by (repo, file, rule, line). --pending lists the findings of either build that have no judgement yet.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))


def family(rule):
    """Rule families: each code rule on its own, secrets together, personal data together."""
    for prefix in ("RAMP-SECRET", "RAMP-PII", "RAMP-AI"):
        if rule.startswith(prefix):
            return prefix + "-*"
    return rule


def extract(repo, commit, work, mirror_root):
    git = os.path.join(mirror_root, repo.replace("/", "+"), "repo")
    out = os.path.join(work, repo.replace("/", "+"))
    if not os.path.isdir(git):
        raise SystemExit(f"{repo}: no snapshot at {git} (fetch it with the search tool's fetch)")
    head = subprocess.run(["git", "--git-dir", git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    if head != commit:
        raise SystemExit(f"{repo}: snapshot is at {head}, the manifest pins {commit}")
    missing = 0
    if not os.path.isdir(out):
        tree = subprocess.run(["git", "--git-dir", git, "ls-tree", "-r", commit], capture_output=True, text=True, check=True).stdout
        for row in tree.splitlines():
            meta, path = row.split("\t", 1)
            sha = meta.split()[2]
            if not path.endswith((".py", ".ipynb")):
                continue
            blob = subprocess.run(["git", "--git-dir", git, "cat-file", "blob", sha], capture_output=True)
            if blob.returncode != 0:
                missing += 1
                continue
            target = os.path.join(out, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(blob.stdout)
    return out, missing


def count_lines(folder):
    """Lines of Python: .py files plus the code cells of notebooks."""
    py = nb = 0
    files = 0
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".py"):
                files += 1
                with open(path, "rb") as f:
                    py += f.read().count(b"\n")
            elif name.endswith(".ipynb"):
                files += 1
                try:
                    with open(path, encoding="utf-8") as f:
                        doc = json.load(f)
                    for cell in doc.get("cells", []):
                        if cell.get("cell_type") == "code":
                            src = cell.get("source", "")
                            nb += len(src) if isinstance(src, list) else src.count("\n") + 1
                except (ValueError, UnicodeDecodeError):
                    pass
    return files, py + nb


def scan(dll, folder, report):
    start = time.perf_counter()
    subprocess.run(["dotnet", dll, "scan", folder, "--no-progress", "-f", "json", "-o", report], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    with open(report) as f:
        data = json.load(f)
    found = []
    for x in data.get("findings", []):
        rule = x["ruleId"]
        if rule.startswith("RAMP-GEN"):
            continue
        path = os.path.relpath(os.path.abspath(x.get("path", "")), os.path.abspath(folder))
        found.append({"rule": rule, "file": path, "line": (x.get("location") or {}).get("line") or 0, "message": x.get("message", "")})
    return found, elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--new", required=True)
    ap.add_argument("--main", required=True)
    ap.add_argument("--work", default="/tmp/rampart-precision")
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--out", default=None)
    ap.add_argument("--pending", action="store_true")
    ap.add_argument("--main-label", default="main", help="what --main is, for the report (e.g. 'main 92f956f')")
    args = ap.parse_args()
    with open(os.path.join(HERE, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(HERE, "judgements.json")) as f:
        judged = {(j["repo"], j["file"], j["rule"], j["line"]): j for j in json.load(f)["judgements"]}
    os.makedirs(args.work, exist_ok=True)
    rows = []
    lines_total = files_total = missing_total = 0
    findings = {"new": [], "main": []}
    times = {"new": 0.0, "main": 0.0}
    for entry in manifest["repositories"]:
        repo, commit = entry["repo"], entry["commit"]
        folder, missing = extract(repo, commit, os.path.join(args.work, "src"), args.mirror)
        files, lines = count_lines(folder)
        lines_total += lines
        files_total += files
        missing_total += missing
        for build in ("main", "new"):
            dll = args.main if build == "main" else args.new
            report = os.path.join(args.work, f"{build}-{repo.replace('/', '+')}.json")
            found, elapsed = scan(dll, folder, report)
            times[build] += elapsed
            for x in found:
                x["repo"] = repo
            findings[build] += found
        rows.append((repo, commit[:10], files, lines))
    key = lambda x: (x["repo"], x["file"], x["rule"], x["line"])
    if args.pending:
        seen = set()
        for build in ("new", "main"):
            for x in findings[build]:
                if key(x) not in judged and key(x) not in seen:
                    seen.add(key(x))
                    print(json.dumps({"repo": x["repo"], "file": x["file"], "line": x["line"], "rule": x["rule"], "build": build, "message": x["message"][:200]}))
        return
    new_keys = {key(x) for x in findings["new"]}
    lost = [x for x in findings["main"] if key(x) not in new_keys and judged.get(key(x), {}).get("real") is True]
    table = {}
    for build in ("main", "new"):
        stats = collections.defaultdict(lambda: collections.Counter())
        for x in findings[build]:
            j = judged.get(key(x))
            s = stats[family(x["rule"])]
            s["findings"] += 1
            s["real" if j and j["real"] else "false" if j else "unjudged"] += 1
        table[build] = stats
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    out = args.out or os.path.join(HERE, "..", "..", "results", f"{date}-code-precision.md")
    families = sorted(set(table["main"]) | set(table["new"]))
    with open(out, "w") as f:
        f.write(f"# Code review precision corpus ({date})\n\n")
        f.write(f"Command: `python3 bench/code/precision/run.py --new <this build>/rampart.dll --main <{args.main_label}>/rampart.dll`\n\n")
        f.write(f"Corpus: {len(rows)} repositories pinned in `bench/code/precision/manifest.json`, {files_total:,} .py/.ipynb files, "
                f"{lines_total:,} lines of Python (files plus notebook code cells); {missing_total} blobs absent from the snapshots were skipped. "
                f"Judgements: `bench/code/precision/judgements.json` ({len(judged)} findings, each real or false with a reason).\n\n")
        f.write("| repository | commit | files | lines |\n|---|---|---:|---:|\n")
        for r in rows:
            f.write(f"| {r[0]} | {r[1]} | {r[2]:,} | {r[3]:,} |\n")
        f.write("\n| family | main: findings | main: real | main: false | this build: findings | real | false | unjudged | share real | false / 10k lines |\n")
        f.write("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for fam in families:
            m, n = table["main"].get(fam, collections.Counter()), table["new"].get(fam, collections.Counter())
            judged_n = n["real"] + n["false"]
            share = f"{100 * n['real'] / judged_n:.0f}%" if judged_n else "-"
            f.write(f"| {fam} | {m['findings']} | {m['real']} | {m['false']} | {n['findings']} | {n['real']} | {n['false']} | {n['unjudged']} | {share} | {10000 * n['false'] / max(lines_total, 1):.2f} |\n")
        tm, tn = sum(table["main"].values(), collections.Counter()), sum(table["new"].values(), collections.Counter())
        f.write(f"| **all** | {tm['findings']} | {tm['real']} | {tm['false']} | {tn['findings']} | {tn['real']} | {tn['false']} | {tn['unjudged']} | "
                f"{100 * tn['real'] / max(tn['real'] + tn['false'], 1):.0f}% | {10000 * tn['false'] / max(lines_total, 1):.2f} |\n\n")
        f.write(f"True findings of main that this build no longer reports: **{len(lost)}**\n\n")
        for x in lost:
            f.write(f"- {x['repo']} {x['file']}:{x['line']} {x['rule']}\n")
        f.write(f"\nScan time over the corpus (same run): main {times['main']:.1f} s, this build {times['new']:.1f} s.\n")
    print(open(out).read())


if __name__ == "__main__":
    sys.exit(main())
