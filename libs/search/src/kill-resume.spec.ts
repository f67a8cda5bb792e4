import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { parseConfig, readJournal, runSearch, SyntheticEvaluator, type EvaluationRecord } from './index';

// SIGKILL a search process at random moments, resume it each time, and check that it ends in
// the state of an uninterrupted run: same journal (configurations, metrics, rewards), same agents.
// Inside the workspace, so the bundle resolves npm packages from its node_modules.
const root = path.join(__dirname, '../../..');
fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
const dir = fs.mkdtempSync(path.join(root, 'tmp', 'kill-resume-'));
const script = path.join(dir, 'kill-target.js');
const configFile = path.join(dir, 'config.json');
const raw = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 80 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 3_000_000 }],
  seed: 11,
};
const comparable = (records: EvaluationRecord[]) => records.map(({ time: _t, timings: _s, ...r }) => r);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  buildSync({ entryPoints: [path.join(__dirname, 'testing/kill-target.ts')], outfile: script, bundle: true, platform: 'node', format: 'cjs', packages: 'external', tsconfig: path.join(root, 'tsconfig.base.json'), logLevel: 'error' });
  fs.writeFileSync(configFile, JSON.stringify(raw));
});

/** Runs the search until it exits by itself or `killAfterMs` passes (then SIGKILL). */
function runOnce(out: string, killAfterMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, out, configFile], { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`search exited with ${code}: ${stderr}`));
    });
  });
}

test('a run SIGKILLed at random moments and resumed equals an uninterrupted run', async () => {
  const whole = await runSearch(parseConfig(raw), { out: path.join(dir, 'whole'), evaluator: new SyntheticEvaluator({ input: [28, 28, 1], classes: 10, task: 'classification' }) });
  const out = path.join(dir, 'killed');
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let kills = 0;
  const progress: number[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    // Node and the bundle take ~100-200 ms to start; kill points spread over start-up and work.
    const outcome = await runOnce(out, 120 + random() * 300);
    progress.push(readJournal(path.join(out, 'journal.jsonl')).records.length);
    if (outcome === 'finished') break;
    kills++;
  }
  expect(kills).toBeGreaterThanOrEqual(10);
  // Each kill loses at most the evaluation in flight: the journal never shrinks.
  for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  expect(comparable(records)).toEqual(comparable(whole.records));
  expect(fs.readFileSync(path.join(out, 'agents.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole.dir, 'agents.json'), 'utf8'));
  const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
  expect(best.episode).toBe(JSON.parse(fs.readFileSync(path.join(whole.dir, 'best.json'), 'utf8')).episode);
  expect(fs.readFileSync(path.join(out, 'best.onnx'))).toEqual(fs.readFileSync(path.join(whole.dir, 'best.onnx')));
}, 240_000);
