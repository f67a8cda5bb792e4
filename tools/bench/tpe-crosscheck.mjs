#!/usr/bin/env node
// Cross-checks our TPE (libs/agents/src/tpe.ts) against Optuna 3.1's TPESampler on search
// tables, for the same coding of the choices: categorical (ours with ordered 'never', Optuna's
// suggest_categorical per slot) and integer-coded (ours with ordered 'always', Optuna's
// suggest_int over the choice index). Prints JSON: per table and coding, the median evaluations
// to the top 1% of both (quartiles, 95% CI of the median), their ratio, and whether it is
// within --tolerance (default 15%) of 1.
//
//   npm run build && node tools/bench/tpe-crosscheck.mjs [--tables tools/bench/tables,/work/shared/bench/nb201/nb201-cifar10.json]
//       [--repeats 200] [--budget 100] [--seed 0] [--accounting episodes] [--codings categorical,int] [--jobs 2] [--markdown]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { benchSearch, limited, machine, optunaTpe, root, tableFiles, tableName } from './bench-tables.mjs';

const { values } = parseArgs({
  options: {
    tables: { type: 'string', default: ['/work/shared/bench/nb201/nb201-cifar10.json', path.join(root, 'tools/bench/tables')].join(',') },
    repeats: { type: 'string', default: '200' },
    budget: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    accounting: { type: 'string', default: 'episodes' },
    tolerance: { type: 'string', default: '0.15' },
    jobs: { type: 'string', default: '2' },
    codings: { type: 'string', default: 'categorical,int' },
    markdown: { type: 'boolean' },
  },
});
const files = tableFiles(values.tables);
// The checkpoints nb201.mjs uses, so both share Optuna's cached runs.
const common = ['--budget', values.budget, '--repeats', values.repeats, '--seed', values.seed, '--accounting', values.accounting, '--checkpoints', '20,50'];
const allCodings = { categorical: 'never', int: 'always' };
const codings = Object.fromEntries(values.codings.split(',').map((c) => {
  if (!(c in allCodings)) throw new Error(`--codings: unknown '${c}' (codings: ${Object.keys(allCodings).join(', ')})`);
  return [c, allCodings[c]];
}));
const started = Date.now();

const jobs = files.flatMap((file) =>
  Object.entries(codings).flatMap(([coding, ordered]) => [
    async () => ({ file, coding, side: 'ours', doc: await benchSearch(['--table', file, ...common, '--algorithms', 'tpe', '--agent-options', JSON.stringify({ tpe: { ordered } })]) }),
    async () => ({ file, coding, side: 'optuna', doc: await optunaTpe(['--table', file, ...common, '--coding', coding]) }),
  ]),
);
const done = await limited(Number(values.jobs), jobs);

const figures = (r) => ({ evalsToTop1pct: r.evalsToTop1pct, quartiles: r.evalsToTop1pctQuartiles, ci95: r.evalsToTop1pctCi95, reached: r.top1pctReached, bestAtBudget: r.bestReward[values.budget].mean });
const tables = {};
for (const { file, coding, side, doc } of done) {
  const row = ((tables[tableName(file)] ??= {})[coding] ??= {});
  row[side] = figures(Object.values(doc.results)[0]);
}
const tolerance = Number(values.tolerance);
for (const row of Object.values(tables)) {
  for (const c of Object.values(row)) {
    c.ratio = Number((c.ours.evalsToTop1pct / c.optuna.evalsToTop1pct).toFixed(3));
    c.within = Math.abs(c.ratio - 1) <= tolerance;
  }
}
const out = { ...machine(), budget: Number(values.budget), repeats: Number(values.repeats), seed: Number(values.seed), accounting: values.accounting, tolerance, seconds: Math.round((Date.now() - started) / 1000), tables };
console.log(JSON.stringify(out, null, 1));

if (values.markdown) {
  const cell = (f) => `${f.evalsToTop1pct} (${f.quartiles.join('-')})`;
  console.log('\n| table | coding | ours: median (quartiles) | Optuna: median (quartiles) | ours / Optuna |\n|---|---|---|---|---|');
  for (const [t, row] of Object.entries(tables)) for (const [c, f] of Object.entries(row)) console.log(`| ${t} | ${c} | ${cell(f.ours)} | ${cell(f.optuna)} | ${f.ratio}${f.within ? '' : ' (outside)'} |`);
}
