// Helpers of the table benchmarks (nb201.mjs, tpe-crosscheck.mjs): run `marl-hpo bench search`
// and tools/bench/tpe_table.py (Optuna) and read their JSON, which has the same shape.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
const cli = path.join(root, 'dist/apps/cli/main.js');
const script = path.join(here, 'tpe_table.py');

/** `bench search --json` with these arguments. */
export async function benchSearch(args) {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first`);
  const { stdout } = await run(process.execPath, [cli, 'bench', 'search', ...args, '--json'], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout);
}

/**
 * Optuna's TPE on a table: tpe_table.py with these arguments (results keyed optuna-<coding>).
 * Seeded, so the same arguments on the same table file give the same figures: kept in
 * tmp/optuna-cache/ (200 repeats take minutes) and reused by every script; delete it to rerun.
 */
export async function optunaTpe(args) {
  const table = args[args.indexOf('--table') + 1];
  const stat = fs.statSync(table);
  const key = createHash('sha256').update(JSON.stringify({ args, table: path.resolve(table), size: stat.size, mtime: stat.mtimeMs, script: fs.statSync(script).mtimeMs })).digest('hex').slice(0, 16);
  const cached = path.join(root, 'tmp/optuna-cache', `${tableName(table)}-${key}.json`);
  if (fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, 'utf8'));
  const { stdout } = await run('/usr/bin/python3', [script, ...args], { maxBuffer: 1 << 28 });
  const doc = JSON.parse(stdout);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  fs.writeFileSync(`${cached}.tmp`, stdout);
  fs.renameSync(`${cached}.tmp`, cached);
  return doc;
}

/** Runs thunks with at most `n` at once (each is a child process: one per core). */
export async function limited(n, thunks) {
  const out = new Array(thunks.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, thunks.length) }, async () => {
    while (next < thunks.length) {
      const i = next++;
      out[i] = await thunks[i]();
    }
  }));
  return out;
}

export const machine = () => ({ cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), node: process.version });

export const tableName = (file) => path.basename(file).replace(/\.json$/, '');

/** Table files: a comma-separated list of files or folders (every *.json in a folder). */
export function tableFiles(list) {
  return list.split(',').flatMap((p) => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f)) : [p]));
}
