import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli } from './cli-helpers';

// marl-hpo report / dashboard driven as a user would, on runs made by the synthetic evaluator.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
const run = path.join(dir, 'runs', 'vgg');
const configFile = path.join(dir, 'c.json');
fs.writeFileSync(
  configFile,
  JSON.stringify({
    template: 'vgg',
    dataset: 'builtin:mnist',
    budget: { episodes: 40 },
    baseline: true,
    objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
    constraints: [{ metric: 'params', max: 9_000_000 }],
    seed: 11,
    synthetic: { sleepSeconds: 0, failEvery: 13 },
  }),
);

beforeAll(() => {
  const r = cli(['search', '--config', configFile, '--out', run, '--json']);
  if (r.code !== 0) throw new Error(r.stderr);
});

/** An independent reading of the journal in Python: best, baseline ratios, top-10, Pareto front. */
function pythonSummary(journal: string) {
  const script = `
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = [r for r in recs if r['status'] == 'ok']
best = None
for r in ok:
    if best is None or r['reward'] > best['reward']: best = r
base = next(r for r in recs if r.get('baseline'))
seen, top = set(), []
for r in sorted(ok, key=lambda r: (-r['reward'], r['episode'])):
    k = json.dumps(r['values'], sort_keys=True)
    if k in seen: continue
    seen.add(k); top.append(r['episode'])
pts = sorted((r['metrics']['latencyMs'], -r['metrics']['accuracy'], r['episode']) for r in ok)
front, q = [], -1
for lat, negq, ep in pts:
    if -negq > q: front.append(ep); q = -negq
print(json.dumps({'records': len(recs), 'best': best['episode'], 'reward': best['reward'], 'params': best['metrics']['params'] / base['metrics']['params'],
                  'latency': best['metrics']['latencyMs'] / base['metrics']['latencyMs'], 'acc': best['metrics']['accuracy'] - base['metrics']['accuracy'],
                  'train': best['metrics']['trainSeconds'] / base['metrics']['trainSeconds'], 'top': top[:10], 'front': front}))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, journal], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

test('report --json agrees with a Python reading of the journal; the HTML is self-contained', () => {
  const out = path.join(dir, 'out', 'r.html');
  const r = cli(['report', run, '--out', out, '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const j = JSON.parse(r.stdout);
  const py = pythonSummary(path.join(run, 'journal.jsonl'));
  expect(j.evaluations).toBe(41);
  expect(j.records).toBe(py.records);
  expect(j.best).toEqual({ episode: py.best, reward: py.reward });
  expect(j.top).toEqual(py.top);
  const ratio = (m: string) => j.comparison.find((c: { metric: string }) => c.metric === m);
  expect(ratio('parameters').ratio).toBeCloseTo(py.params, 12);
  expect(ratio('latency (p50 ms)').ratio).toBeCloseTo(py.latency, 12);
  expect(ratio('training time (s)').ratio).toBeCloseTo(py.train, 12);
  expect(ratio('accuracy').change).toBe(`${py.acc >= 0 ? '+' : '-'}${Math.abs(py.acc * 100).toFixed(2)} points`);
  const html = fs.readFileSync(out, 'utf8');
  for (const ep of py.front) expect(html).toMatch(new RegExp(`episode ${ep} [^<]*Pareto front`));
  expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org)/);
});

test('report --images writes every chart as SVG and PNG; the default output is in the run folder', () => {
  const images = path.join(dir, 'img');
  const r = cli(['report', run, '--images', images]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^wrote ${run.replace(/[/\\]/g, '.')}.report\\.html \\(41 evaluations, best episode \\d+\\)`));
  const files = fs.readdirSync(images);
  for (const id of ['reward', 'pareto', 'params', 'greedy', 'best-layers', 'q-1-b1c1']) expect(files).toEqual(expect.arrayContaining([`${id}.svg`, `${id}.png`]));
  expect(fs.readFileSync(path.join(images, 'greedy.png')).subarray(1, 4).toString()).toBe('PNG');
  expect(cli(['report', run, '--images', path.join(dir, 'svg-only'), '--format', 'svg']).code).toBe(0);
  expect(fs.readdirSync(path.join(dir, 'svg-only')).every((f) => f.endsWith('.svg'))).toBe(true);
});

test.each([
  ['no folder', () => ['report', path.join(dir, 'nope')], /^marl-hpo: .*nope: no such run folder\n$/],
  ['not a run', () => ['report', dir], /^marl-hpo: .*: not a run folder \(no config\.json or journal\.jsonl\)\n$/],
  ['corrupt journal', () => {
    const bad = path.join(dir, 'bad');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'journal.jsonl'), '{"type":"evaluation"}\nnot json\n');
    return ['report', bad];
  }, /^marl-hpo: .*journal\.jsonl:1: bad journal record: episode: Invalid input: expected number/],
  ['journal written by two processes', () => {
    const two = path.join(dir, 'two');
    fs.mkdirSync(two, { recursive: true });
    const lines = fs.readFileSync(path.join(run, 'journal.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(two, 'journal.jsonl'), [lines[0], lines[1], lines[1], ''].join('\n'));
    return ['report', two];
  }, /^marl-hpo: .*two\/journal\.jsonl:3: episode 1 again \(first on line 2\): two processes wrote this journal at once\n$/],
  ['format', () => ['report', run, '--images', dir, '--format', 'gif'], /^marl-hpo: --format: expected svg, png or both, got 'gif'\n$/],
  ['no run', () => ['report'], /^marl-hpo: expected one run folder/],
  ['bad port', () => ['dashboard', dir, '--port', 'x'], /^marl-hpo: --port: expected an integer >= 0/],
])('bad input (%s): one line, exit 2', (_name, args, message) => {
  const r = cli(args());
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});

test('dashboard: serves on the given port; a second one on the same port exits 2 with one line', async () => {
  const first = spawn(process.execPath, [CLI, 'dashboard', path.join(dir, 'runs'), '--port', '0']);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      first.stdout.on('data', (d) => {
        out += d;
        const m = /dashboard: (http:\/\/\S+) /.exec(out);
        if (m) resolve(m[1]);
      });
      first.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
    });
    const html = await (await fetch(url)).text();
    expect(html).toContain('href="/run/vgg/"');
    const port = new URL(url).port;
    const second = cli(['dashboard', path.join(dir, 'runs'), '--port', port]);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(`marl-hpo: --port ${port}: already in use on 127.0.0.1 (choose another port, or --port 0 for a free one)\n`);
  } finally {
    first.kill('SIGINT');
  }
  const code = await new Promise((resolve) => (first.exitCode !== null ? resolve(first.exitCode) : first.on('exit', resolve)));
  expect(code).toBe(0);
});
