import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';

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
