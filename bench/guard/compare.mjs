// Runs two open prompt-injection detectors from npm over the same labelled JSON Lines file as `rampart guard eval`
// and prints the same metrics table. Install them first (not committed):
//   cd bench/guard/node-work && npm install llm_guardrail@2.1.2 @andersmyrmel/vard@1.2.0
//   node bench/guard/compare.mjs /tmp/inj-test.jsonl
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const modules = path.join(here, "node-work", "node_modules");
const guardrail = await import(pathToFileURL(path.join(modules, "llm_guardrail", "index.js")).href);
const vardModule = await import(pathToFileURL(path.join(modules, "@andersmyrmel", "vard", "dist", "index.js")).href);
const vard = vardModule.default ?? vardModule.vard;
void createRequire;

const lines = readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim().length > 0).map((l) => JSON.parse(l));

const detectors = {
  "llm_guardrail 2.1.2 (injection or jailbreak model)": async (text) => {
    const [i, j] = await Promise.all([guardrail.checkInjection(text), guardrail.checkJailbreak(text)]);
    return i.detected || j.detected;
  },
  "@andersmyrmel/vard 1.2.0 (default rules)": async (text) => {
    try { vard(text); return false; } catch { return true; }
  },
};

function metrics(outcomes) {
  const groups = new Map([["all", []]]);
  for (const o of outcomes) {
    groups.get("all").push(o);
    if (!groups.has(o.source)) groups.set(o.source, []);
    groups.get(o.source).push(o);
  }
  const keys = ["all", ...[...groups.keys()].filter((k) => k !== "all").sort()];
  const f = (x) => (Number.isNaN(x) ? "-" : x.toFixed(3));
  const rows = ["| source | n | positives | precision | recall | F1 | FPR |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"];
  for (const k of keys) {
    const g = groups.get(k);
    const tp = g.filter((o) => o.label && o.pred).length, fn = g.filter((o) => o.label && !o.pred).length;
    const fp = g.filter((o) => !o.label && o.pred).length, tn = g.filter((o) => !o.label && !o.pred).length;
    const p = tp + fp ? tp / (tp + fp) : NaN, r = tp + fn ? tp / (tp + fn) : NaN, fpr = fp + tn ? fp / (fp + tn) : NaN;
    const f1 = p + r > 0 ? (2 * p * r) / (p + r) : NaN;
    rows.push(`| ${k} | ${g.length} | ${tp + fn} | ${f(p)} | ${f(r)} | ${f(f1)} | ${f(fpr)} |`);
  }
  return rows.join("\n");
}

for (const [name, detect] of Object.entries(detectors)) {
  const outcomes = [];
  const times = [];
  for (const l of lines) {
    const text = l.text ?? (l.messages ?? []).map((m) => m.content).join("\n");
    const label = l.label === 1 || l.label === true || l.label === "injection";
    const t0 = process.hrtime.bigint();
    const pred = await detect(text);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    outcomes.push({ source: l.source ?? "unspecified", label, pred });
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(3);
  console.log(`### ${name}\n\n${metrics(outcomes)}\n\nlatency per text (ms, this machine, node ${process.version}): p50 ${q(0.5)}, p99 ${q(0.99)}\n`);
}
