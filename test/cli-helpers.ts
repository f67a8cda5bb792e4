import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readJournal, type EvaluationRecord } from '@marl-hpo/search';

export const ROOT = path.join(__dirname, '..');
export const CLI = path.join(ROOT, 'dist/apps/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (build it first: `npm run build`, which `npm test` does). */
export function cli(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 600_000, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A writer of test files into `dir`: JSON values are serialised, strings written as they are. Returns the file's path. */
export function fileWriter(dir: string): (name: string, value: unknown) => string {
  return (name, value) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
}

/** The records of a run folder's journal. */
export const journal = (out: string): EvaluationRecord[] => readJournal(path.join(out, 'journal.jsonl')).records;
