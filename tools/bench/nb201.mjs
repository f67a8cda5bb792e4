#!/usr/bin/env node
// The NAS-Bench-201 figures of tools/bench/search.md and docs/RESULTS.md ("NAS-Bench-201"): on
// each table given, every algorithm of libs/agents and Optuna 3.1's TPE (categorical: one
// suggest_categorical per edge; int: suggest_int over the op index), with the same seeds:
// median evaluations to the top 1% (quartiles, 95% CI of the median, fraction reached) and mean
// regret after 20, 50 and 100 evaluations (95% CI). Prints JSON, and with --markdown the table.
//
//   npm run build && node tools/bench/nb201.mjs --tables /work/shared/bench/nb201/nb201-cifar10.json \
//       [--repeats 200] [--budget 100] [--seed 0] [--accounting episodes] [--objective '<json>'] \
//       [--algorithms marl,tpe,evolution,qlearning,random] [--agent-options '<json>'] [--no-optuna] [--jobs 2] [--markdown]
//
// Develop on nb201-cifar10 and the small tables; nb201-cifar100 and nb201-imagenet16-120 are held
// out (run them once, at the end: --tables a.json,b.json,c.json).
import { parseArgs } from 'node:util';
import { benchSearch, limited, machine, optunaTpe, tableFiles, tableName } from './bench-tables.mjs';

const { values } = parseArgs({
  options: {
    tables: { type: 'string' },
    repeats: { type: 'string', default: '200' },
    budget: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    accounting: { type: 'string', default: 'episodes' },
    objective: { type: 'string' },
    algorithms: { type: 'string', default: 'marl,tpe,evolution,qlearning,random' },
    'agent-options': { type: 'string' },
    'no-optuna': { type: 'boolean' },
    jobs: { type: 'string', default: '2' },
    markdown: { type: 'boolean' },
  },
});
if (!values.tables) throw new Error('--tables: required (comma-separated table files or folders)');
const files = tableFiles(values.tables);
const checkpoints = [20, 50].filter((c) => c < Number(values.budget));
// Budget 20 or less: no checkpoint below the budget (an empty --checkpoints is an error).
const common = ['--budget', values.budget, '--repeats', values.repeats, '--seed', values.seed, '--accounting', values.accounting, ...(checkpoints.length ? ['--checkpoints', checkpoints.join(',')] : [])];
if (values.objective) common.push('--objective', values.objective);
const started = Date.now();

// One process per table for our algorithms (seconds), one per table and coding for Optuna (minutes).
const jobs = files.flatMap((file) => [
  () => benchSearch(['--table', file, ...common, '--algorithms', values.algorithms, ...(values['agent-options'] ? ['--agent-options', values['agent-options']] : [])]),
  ...(values['no-optuna'] ? [] : ['categorical', 'int'].map((coding) => () => optunaTpe(['--table', file, ...common, '--coding', coding]))),
]);
const docs = await limited(Number(values.jobs), jobs);

const tables = {};
for (const doc of docs) {
  const t = (tables[doc.table] ??= { optimum: doc.optimum, top1pct: doc.top1pct, randomSearchTheory: doc.randomSearchTheory, objective: doc.objective, results: {} });
  for (const [name, r] of Object.entries(doc.results)) {
    t.results[name] = {
      evalsToTop1pct: r.evalsToTop1pct,
      quartiles: r.evalsToTop1pctQuartiles,
      ci95: r.evalsToTop1pctCi95,
      reached: r.top1pctReached,
      regret: Object.fromEntries(Object.entries(r.regret).map(([c, m]) => [c, { mean: m.mean, ci95: m.ci95 }])),
      options: r.options,
    };
  }
}
const out = { ...machine(), budget: Number(values.budget), repeats: Number(values.repeats), seed: Number(values.seed), accounting: values.accounting, files: files.map(tableName), seconds: Math.round((Date.now() - started) / 1000), tables };
console.log(JSON.stringify(out, null, 1));
if (values.markdown) console.log(`\n${markdown(out)}`);

/** One block per table: a row per figure, a column per algorithm; the best of each row in bold. */
function markdown(doc) {
  const names = Object.keys(Object.values(doc.tables)[0]?.results ?? {});
  const label = (n) => ({ 'optuna-categorical': 'Optuna TPE (categorical)', 'optuna-int': 'Optuna TPE (int)' })[n] ?? n;
  const lines = [`| table | figure | ${names.map(label).join(' | ')} |`, `|---|---|${names.map(() => '---|').join('')}`];
  for (const [table, t] of Object.entries(doc.tables)) {
    const rows = [[`median evaluations to the top 1% (quartiles)`, (r) => r.evalsToTop1pct, (r) => `${fmt(r.evalsToTop1pct)} (${r.quartiles.map(fmt).join('-')})`]];
    for (const c of [...checkpoints, doc.budget]) {
      rows.push([`mean regret after ${c} (95% CI +-)`, (r) => r.regret[c].mean, (r) => `${r.regret[c].mean.toFixed(4)} (${((r.regret[c].ci95[1] - r.regret[c].ci95[0]) / 2).toFixed(4)})`]);
    }
    rows.forEach(([what, key, show], i) => {
      const present = names.filter((n) => t.results[n]);
      const best = Math.min(...present.map((n) => key(t.results[n])));
      const cells = names.map((n) => (t.results[n] ? (key(t.results[n]) === best ? `**${show(t.results[n])}**` : show(t.results[n])) : '-'));
      lines.push(`| ${i === 0 ? table : ''} | ${what} | ${cells.join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

function fmt(x) {
  return String(Number(x.toFixed(1)));
}
