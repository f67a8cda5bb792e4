#!/usr/bin/env node
// Turns the journals of real searches into a table for `marl-hpo bench search`: one row per
// configuration trained at the requested fidelity (the first one wins; cache hits and screens
// are left out), with its measured metrics, or `error` when the evaluation failed.
//
//   marl-hpo space vgg --json > space.json      # the space the runs searched (same template options)
//   node tools/bench/search-table-from-journal.mjs --space space.json --name vgg-fmnist \
//       [--epochs 2] runs/a/journal.jsonl runs/b/journal.jsonl > tools/bench/tables/vgg-fmnist.json
//
// For a table the benchmark can use, the runs should cover a small space exhaustively (e.g.
// algorithm "random" with a budget above the space size, on a custom template of a few slots):
// configurations absent from the table count as failed evaluations.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { space: { type: 'string' }, name: { type: 'string' }, epochs: { type: 'string' }, description: { type: 'string' } },
});
if (!values.space || !values.name || positionals.length === 0) {
  console.error('usage: search-table-from-journal.mjs --space <space.json> --name <table name> [--epochs N] <journal.jsonl>...');
  process.exit(2);
}
const space = JSON.parse(fs.readFileSync(values.space, 'utf8'));
const slots = space.slots.map((s) => ({ name: s.name, choices: s.choices }));
const rows = new Map();
for (const file of positionals) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return; // half-written last line
      throw new Error(`${file}:${i + 1}: malformed JSON`);
    }
    if (r.type !== 'evaluation' || r.cachedFrom !== undefined || r.screen) return;
    if (values.epochs && !r.skipped && r.fidelity?.epochs !== Number(values.epochs)) return;
    if (r.config.length !== slots.length || r.config.some((k, j) => !(k >= 0 && k < slots[j].choices.length))) {
      throw new Error(`${file}:${i + 1}: configuration ${JSON.stringify(r.config)} is not in the space of ${values.space}`);
    }
    const key = r.config.join(',');
    if (rows.has(key)) return;
    const metrics = Object.fromEntries(Object.entries(r.metrics ?? {}).filter(([, v]) => typeof v === 'number'));
    rows.set(key, r.status === 'failed' ? { choice: r.config, metrics, error: r.error ?? 'failed' } : { choice: r.config, metrics });
  });
}
// The run's own objective (config.json beside the first journal) is the table's default objective.
const configFile = path.join(path.dirname(positionals[0]), 'config.json');
const config = fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : undefined;
const objective = config ? { objectives: config.objectives, ...(config.constraints?.length ? { constraints: config.constraints } : {}) } : undefined;
const table = { name: values.name, description: values.description ?? `from ${positionals.join(', ')}`, ...(objective ? { objective } : {}), slots, rows: [...rows.values()] };
process.stdout.write(`{\n${Object.entries(table).filter(([k]) => k !== 'rows').map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n')},\n "rows": [\n${table.rows.map((r) => '  ' + JSON.stringify(r)).join(',\n')}\n ]\n}\n`);
console.error(`${table.rows.length} rows`);
