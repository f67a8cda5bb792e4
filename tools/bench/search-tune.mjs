#!/usr/bin/env node
// Tunes MARL's defaults on the tabular benchmark: runs each candidate option set on every table
// (tools/bench/tables/*.json) over many seeded repeats and prints, per candidate, the median
// evaluations to the top 1% and its ratio to random search (exact figure, no sampling noise)
// and to Optuna TPE (run once per table and seed range, cached in tmp/).
//
//   npm run build && node tools/bench/search-tune.mjs --candidates cands.json [--repeats 200] [--seed 0]
// cands.json: [{"name": "...", "options": {<marl options>}}, ...]; {} options = the defaults.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    candidates: { type: 'string' },
    repeats: { type: 'string', default: '200' },
    budget: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    tables: { type: 'string', default: path.join(here, 'tables') },
    algorithm: { type: 'string', default: 'marl' },
  },
});
const cli = path.join(root, 'dist/apps/cli/main.js');
const files = fs.readdirSync(values.tables).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(values.tables, f));
const candidates = values.candidates ? JSON.parse(fs.readFileSync(values.candidates, 'utf8')) : [{ name: 'defaults', options: {} }];
const common = ['--budget', values.budget, '--repeats', values.repeats, '--seed', values.seed];
const cacheDir = path.join(root, 'tmp/search-tune');
fs.mkdirSync(cacheDir, { recursive: true });

function tpe(file) {
  const cache = path.join(cacheDir, `tpe-${path.basename(file, '.json')}-${values.budget}-${values.repeats}-${values.seed}.json`);
  if (!fs.existsSync(cache)) {
    fs.writeFileSync(cache, execFileSync('/usr/bin/python3', [path.join(here, 'tpe_table.py'), '--table', file, ...common], { encoding: 'utf8' }));
  }
  return JSON.parse(fs.readFileSync(cache, 'utf8'));
}

const gmean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const report = [];
for (const cand of candidates) {
  const perTable = {};
  for (const file of files) {
    const args = [cli, 'bench', 'search', '--table', file, ...common, '--algorithms', values.algorithm, '--json', '--agent-options', JSON.stringify({ [values.algorithm]: cand.options })];
    const r = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
    const m = r.results[values.algorithm];
    const t = tpe(file).results['optuna-categorical'];
    perTable[r.table] = {
      evals: m.evalsToTop1pct,
      reached: m.top1pctReached,
      distinct: m.distinctConfigs,
      vsRandom: Number((m.evalsToTop1pct / r.randomSearchTheory.evalsToTop1pct).toFixed(3)),
      vsTpe: Number((m.evalsToTop1pct / t.evalsToTop1pct).toFixed(3)),
    };
  }
  const rows = Object.values(perTable);
  const entry = {
    name: cand.name,
    worstVsRandom: Math.max(...rows.map((x) => x.vsRandom)),
    worstVsTpe: Math.max(...rows.map((x) => x.vsTpe)),
    gmeanVsTpe: Number(gmean(rows.map((x) => x.vsTpe)).toFixed(3)),
    evals: Object.fromEntries(Object.entries(perTable).map(([k, v]) => [k, v.evals])),
    options: cand.options,
    perTable,
  };
  report.push(entry);
  process.stderr.write(`${entry.name}: worst vs random ${entry.worstVsRandom}, worst vs TPE ${entry.worstVsTpe}, gmean vs TPE ${entry.gmeanVsTpe} ${JSON.stringify(entry.evals)}\n`);
}
console.log(JSON.stringify(report, null, 1));
