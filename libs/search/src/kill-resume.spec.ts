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
  budget: { episodes: 50 },
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

/**
 * Runs the search and SIGKILLs it after `episodes` more episodes plus `delayMs` (episodes 0:
 * during start-up or the first evaluation), unless it finishes first.
 */
function runOnce(out: string, episodes: number, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, out, configFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    let stderr = '';
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs));
    if (episodes === 0) arm();
    child.stdout.on('data', (d: Buffer) => {
      seen += d.length;
      if (seen >= episodes) arm();
    });
    child.stderr.on('data', (d) => (stderr += d));
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
    // Kill points: during start-up, or after 1-3 more episodes at a random moment of the next ones.
    const episodes = Math.floor(random() * 4);
    const outcome = await runOnce(out, episodes, episodes === 0 ? 50 + random() * 250 : random() * 25);
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
