#!/usr/bin/env node
// Distributed evaluation (search --queue + marl-hpo worker), printed as one JSON document:
// - speedUp: a search of --episodes compute-bound evaluations (synthetic busySeconds: CPU
//   seconds, so two workers sharing a core would not look parallel) with 1 worker and
//   --in-flight 1, over the same with 2 workers and --in-flight 2 (goal >= 1.8 on 2 free cores);
//   the same for the local process pool (search --workers 2, no queue) shows what the machine
//   allows right now (other processes take cores too), so queueVsLocalPool isolates the queue;
// - overheadMsPerEval: the coordinator + queue cost per evaluation, from searches of
//   --overhead-episodes instant evaluations: (queue, 1 worker, --in-flight 1) minus the
//   in-process synthetic run, divided by the evaluations; and the same from the busy runs.
// Times are the search loop's own (the last episode's elapsedSeconds), without process start-up.
//
//   npm run build && node tools/bench/queue-speedup.mjs [--episodes 16] [--busy 1] [--overhead-episodes 60]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(root, 'dist/apps/cli/main.js');
const { values } = parseArgs({ options: { episodes: { type: 'string', default: '16' }, busy: { type: 'string', default: '1' }, 'overhead-episodes': { type: 'string', default: '60' } } });
const episodes = Number(values.episodes);
const busy = Number(values.busy);
const overheadEpisodes = Number(values['overhead-episodes']);
if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-bench-'));
const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.text = '';
  child.stdout.on('data', (d) => (child.text += d));
  child.stderr.on('data', (d) => (child.text += d));
  child.until = (needle) =>
    new Promise((resolve, reject) => {
      const look = () => child.text.includes(needle) && resolve();
      child.stdout.on('data', look);
      child.on('exit', () => reject(new Error(`${cmd} exited: ${child.text}`)));
      look();
    });
  return child;
}

const port = await freePort();
const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp]);
await redis.until('Ready to accept connections');
const url = `redis://127.0.0.1:${port}/0`;

function config(name, n, synthetic) {
  const file = path.join(tmp, `${name}.json`);
  // No constraints: every proposal is evaluated (none skipped by the static cost check).
  fs.writeFileSync(file, JSON.stringify({ template: 'vgg', dataset: 'builtin:mnist', budget: { episodes: n }, objectives: [{ metric: 'accuracy', goal: 'max' }], seed: 1, synthetic }));
  return file;
}

/** Runs one search; returns the search loop's seconds and how many evaluations it ran. */
async function search(name, file, extra) {
  const out = path.join(tmp, name);
  const r = spawnSync(process.execPath, [CLI, 'search', '--config', file, '--out', out, '--json', ...extra], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const last = lines.filter((l) => l.type === 'episode').at(-1);
  const evaluated = lines.filter((l) => l.type === 'episode' && l.metrics?.accuracy !== undefined && l.cachedFrom === undefined).length;
  return { seconds: last.elapsedSeconds, evaluated };
}

async function withWorkers(n, f) {
  const workers = Array.from({ length: n }, () => start(process.execPath, [CLI, 'worker', '--queue', url, '--json']));
  await Promise.all(workers.map((w) => w.until('"type":"ready"')));
  try {
    return await f();
  } finally {
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : (w.once('exit', r), w.kill('SIGTERM'))))));
  }
}

const busyConfig = config('busy', episodes, { busySeconds: busy });
const instantConfig = config('instant', overheadEpisodes, {});

const localBusy = await search('local-busy', busyConfig, []);
const localPool = await search('local-pool-2', busyConfig, ['--workers', '2']);
const oneWorker = await withWorkers(1, () => search('queue-1', busyConfig, ['--queue', url, '--in-flight', '1']));
const twoWorkers = await withWorkers(2, () => search('queue-2', busyConfig, ['--queue', url, '--in-flight', '2']));
const localInstant = await search('local-instant', instantConfig, []);
const queueInstant = await withWorkers(1, () => search('queue-instant', instantConfig, ['--queue', url, '--in-flight', '1']));

const round = (x, d = 3) => Number(x.toFixed(d));
console.log(
  JSON.stringify(
    {
      bench: 'queue-speedup',
      cpus: os.cpus().length,
      episodes,
      busySeconds: busy,
      evaluated: { local: localBusy.evaluated, localPool2: localPool.evaluated, oneWorker: oneWorker.evaluated, twoWorkers: twoWorkers.evaluated },
      loadAverage: os.loadavg().map((x) => round(x, 2)),
      seconds: { localInProcess: localBusy.seconds, localPool2: localPool.seconds, oneWorker: oneWorker.seconds, twoWorkers: twoWorkers.seconds },
      speedUp: round(oneWorker.seconds / twoWorkers.seconds),
      goal: 1.8,
      localPoolSpeedUp: round(localBusy.seconds / localPool.seconds),
      queueVsLocalPool: round(localPool.seconds / twoWorkers.seconds),
      overheadMsPerEval: {
        instant: round(((queueInstant.seconds - localInstant.seconds) / queueInstant.evaluated) * 1000, 1),
        instantEpisodes: overheadEpisodes,
        instantSeconds: { localInProcess: localInstant.seconds, queue: queueInstant.seconds },
        busy: round(((oneWorker.seconds - localBusy.seconds) / oneWorker.evaluated) * 1000, 1),
      },
    },
    null,
    2,
  ),
);
redis.kill('SIGTERM');
fs.rmSync(tmp, { recursive: true, force: true });
