#!/usr/bin/env node
// Runs the tabular search benchmark on every table (tools/bench/tables/*.json) with the built CLI
// and Optuna TPE, and prints one JSON document: per table and algorithm, the median evaluations to
// the top 1%, the fraction of repeats that reached it and the mean best reward at the budget; and
// the ratios of the goal (marl vs random, vs our TPE and vs Optuna's, lower is better).
//
//   npm run build && node tools/bench/search-suite.mjs [--repeats 50] [--budget 100] [--seed 0]
//       [--algorithms marl,random,qlearning,evolution,tpe] [--accounting episodes|evaluations]
//       [--agent-options '<json>'] [--no-tpe] [--full]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '50' },
    budget: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    accounting: { type: 'string', default: 'episodes' },
    algorithms: { type: 'string', default: 'marl,random,qlearning,evolution,tpe' },
    'agent-options': { type: 'string' },
    tables: { type: 'string', default: path.join(here, 'tables') },
    'no-tpe': { type: 'boolean' },
    full: { type: 'boolean' },
  },
});
const cli = path.join(root, 'dist/apps/cli/main.js');
if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
const files = fs.statSync(values.tables).isDirectory()
  ? fs.readdirSync(values.tables).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(values.tables, f))
  : values.tables.split(',');
const common = ['--table', '', '--budget', values.budget, '--repeats', values.repeats, '--seed', values.seed, '--accounting', values.accounting];

const out = { budget: Number(values.budget), repeats: Number(values.repeats), seed: Number(values.seed), accounting: values.accounting, tables: {}, full: values.full ? {} : undefined };
for (const file of files) {
  common[1] = file;
  const args = [cli, 'bench', 'search', ...common, '--algorithms', values.algorithms, '--json'];
  if (values['agent-options']) args.push('--agent-options', values['agent-options']);
  const ts = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
  const results = { ...ts.results };
  if (!values['no-tpe']) {
    const py = JSON.parse(execFileSync('/usr/bin/python3', [path.join(here, 'tpe_table.py'), ...common], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    Object.assign(results, py.results);
  }
  const row = {};
  for (const [a, r] of Object.entries(results)) {
    row[a] = { evalsToTop1pct: r.evalsToTop1pct, reached: r.top1pctReached, best: Number(r.bestReward[String(ts.budget)].mean.toFixed(5)) };
  }
  const ratio = (a, b) => (row[a] && row[b] ? Number((row[a].evalsToTop1pct / row[b].evalsToTop1pct).toFixed(3)) : undefined);
  row.marlVsRandom = ratio('marl', 'random');
  row.marlVsRandomTheory = Number((row.marl?.evalsToTop1pct / ts.randomSearchTheory.evalsToTop1pct).toFixed(3));
  row.marlVsTpe = ratio('marl', 'tpe');
  row.marlVsOptunaTpe = ratio('marl', 'optuna-categorical');
  out.tables[ts.table] = row;
  if (values.full) out.full[ts.table] = { ...ts, results };
}
console.log(JSON.stringify(out, null, 1));
