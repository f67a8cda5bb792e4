#!/usr/bin/env node
// Speed of the torch trainer backend against the PyTorch reference (../shared/bench/torch_reference.py),
// run back to back in the same script: each round runs the reference, then a search on the torch
// backend that trains the same network `--evals` times in one warm worker process.
//   throughput: samples/s of the backend's optimisation steps (train.json: epochs after the first,
//               which is the warm-up, as the reference's) / the reference's trainSamplesPerSec;
//               for the default recipe (warm-up, cosine, clipping at norm 1) and for the plain one
//               the reference runs (constant rate, no clipping).
//   overhead:   per evaluation with a warm worker, what is not training or export in Python: the
//               job folder, the process round trip and the ONNX check (journal timings:
//               roundTrip - Python's own job time + check), evaluations after the first.
// Prints one JSON document (medians, every round's ratio, the CPU model and the load average).
//
// usage: node tools/bench/torch-backend.mjs [--rounds 3] [--archs small,vgg] [--samples 2048] [--batch 64]
//        [--evals 4] [--threads 1]   (needs `npm run build`, /usr/bin/python3 with torch, Fashion-MNIST)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeArchTemplate } from './torch-archs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    archs: { type: 'string', default: 'small,vgg' },
    samples: { type: 'string', default: '2048' },
    batch: { type: 'string', default: '64' },
    evals: { type: 'string', default: '4' },
    threads: { type: 'string', default: '1' },
    data: { type: 'string', default: 'idx:/usr/share/datasets/fashion-mnist' },
    // ../shared beside the workspace (or beside the worktrees' folder).
    torch: { type: 'string', default: process.env.TORCH_REFERENCE ?? ['../shared', '../../shared'].map((d) => path.resolve(root, d, 'bench/torch_reference.py')).find((f) => fs.existsSync(f)) },
    cli: { type: 'string', default: path.join(root, 'dist/apps/cli/main.js') },
  },
});
if (!values.torch || !fs.existsSync(values.torch)) throw new Error('torch_reference.py not found: pass --torch <file> or set TORCH_REFERENCE');
if (!fs.existsSync(values.cli)) throw new Error(`${values.cli} not found (build the CLI with npm run build)`);
const samples = Number(values.samples);
const evals = Number(values.evals);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-backend-bench-'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round4 = (x) => Number(x.toFixed(4));
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

// The backend's Python worker runs detached, in a session of its own; with the kernel's
// autogroup scheduling (kernel.sched_autogroup_enabled) a session gets a fair share of the CPU
// whatever else runs, so on a loaded machine it trained 2-3x faster than a reference started in
// this script's session. The reference gets a session of its own too (setsid), where there is one.
const autogroup = fs.existsSync('/proc/sys/kernel/sched_autogroup_enabled') && fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
const setsid = ['/usr/bin/setsid', '/bin/setsid'].find((f) => fs.existsSync(f));

function reference(arch) {
  const argv = ['/usr/bin/python3', values.torch, '--arch', arch, '--samples', values.samples, '--batch', values.batch, '--epochs', '2', '--threads', values.threads];
  const out = setsid ? execFileSync(setsid, ['-w', ...argv], { encoding: 'utf8' }) : execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()).trainSamplesPerSec;
}

/** One search on the torch backend: every evaluation trains the same network for 3 epochs. */
function backend(arch, recipe, label) {
  const work = path.join(tmp, `${label}-work`);
  const out = path.join(tmp, `${label}-run`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  const config = {
    template: writeArchTemplate(tmp, arch, evals),
    dataset: { spec: values.data, limit: { train: samples, val: 256 } },
    budget: { episodes: evals },
    algorithm: 'random',
    objectives: [{ metric: 'accuracy', goal: 'max' }],
    trainer: { backend: 'torch', epochs: 3, batchSize: Number(values.batch), threads: Number(values.threads), keepJobs: true, workDir: work, python: '/usr/bin/python3', ...recipe },
    profiler: { backend: 'estimate' },
  };
  const file = path.join(tmp, `${label}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  execFileSync(process.execPath, [values.cli, 'search', '--config', file, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const records = fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.status === 'ok' && r.cachedFrom === undefined);
  if (records.length !== evals) throw new Error(`${label}: ${records.length} of ${evals} evaluations succeeded`);
  const jobs = fs.readdirSync(work).flatMap((s) => fs.readdirSync(path.join(work, s)).map((j) => JSON.parse(fs.readFileSync(path.join(work, s, j, 'train.json'), 'utf8'))));
  const rate = jobs.map((j) => j.history.slice(1).reduce((a, h) => a + h.samples, 0) / j.history.slice(1).reduce((a, h) => a + h.seconds, 0));
  const warm = records.slice(1);
  return {
    samplesPerSec: median(rate),
    overheadSeconds: warm.map((r) => r.timings.roundTrip - r.timings.train + r.timings.check),
    exportSeconds: jobs.map((j) => j.exportSeconds),
  };
}

const PLAIN = { schedule: 'constant', warmup: 0, clipNorm: 0 };
const result = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadBefore: loadavg(), autogroup, referenceInOwnSession: Boolean(setsid), rounds: Number(values.rounds), samples, batch: Number(values.batch), threads: Number(values.threads), evalsPerSearch: evals, archs: {} };
for (const arch of values.archs.split(',')) result.archs[arch] = { torchReference: [], defaultRecipe: [], plainRecipe: [], overheadSeconds: [], exportSeconds: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  for (const arch of values.archs.split(',')) {
    const a = result.archs[arch];
    const ref = reference(arch);
    const def = backend(arch, {}, `${arch}-default`);
    const plain = backend(arch, PLAIN, `${arch}-plain`);
    a.torchReference.push(ref);
    a.defaultRecipe.push(def.samplesPerSec);
    a.plainRecipe.push(plain.samplesPerSec);
    a.overheadSeconds.push(...def.overheadSeconds, ...plain.overheadSeconds);
    a.exportSeconds.push(...def.exportSeconds, ...plain.exportSeconds);
    process.stderr.write(`round ${r + 1} ${arch}: reference ${ref.toFixed(0)}, backend ${def.samplesPerSec.toFixed(0)} (plain ${plain.samplesPerSec.toFixed(0)}) samples/s; overhead ${median(def.overheadSeconds).toFixed(3)} s; load ${loadavg()[0]}\n`);
  }
}
for (const [arch, a] of Object.entries(result.archs)) {
  result.archs[arch] = {
    torchReferenceSamplesPerSec: round4(median(a.torchReference)),
    backendSamplesPerSec: round4(median(a.defaultRecipe)),
    ratio: round4(median(a.defaultRecipe.map((x, i) => x / a.torchReference[i]))),
    ratios: a.defaultRecipe.map((x, i) => round4(x / a.torchReference[i])),
    plainRecipeRatio: round4(median(a.plainRecipe.map((x, i) => x / a.torchReference[i]))),
    plainRatios: a.plainRecipe.map((x, i) => round4(x / a.torchReference[i])),
    overheadSecondsMedian: round4(median(a.overheadSeconds)),
    overheadSecondsMax: round4(Math.max(...a.overheadSeconds)),
    exportSecondsMedian: round4(median(a.exportSeconds)),
  };
}
result.loadAfter = loadavg();
fs.rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(result));
