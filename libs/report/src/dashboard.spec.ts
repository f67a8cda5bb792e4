import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, runSearch, SyntheticEvaluator } from '@marl-hpo/search';
import { startDashboard, type Dashboard } from './index';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-'));
const config = (episodes: number) =>
  parseConfig({
    template: 'vgg',
    dataset: 'builtin:mnist',
    budget: { episodes },
    objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
    seed: 2,
  });
const evaluator = () => new SyntheticEvaluator({ input: [28, 28, 1], classes: 10, task: 'classification' });

/** Every file under dir with its size and mtime: the dashboard must not change any. */
const snapshot = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const f = path.join(e.parentPath, e.name);
      const s = fs.statSync(f);
      return `${f} ${s.size} ${s.mtimeMs}`;
    })
    .sort();

let dash: Dashboard;
beforeAll(async () => {
  await runSearch(config(6), { out: path.join(root, 'alpha'), evaluator: evaluator() });
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'empty', 'config.json'), JSON.stringify(config(5)));
  fs.mkdirSync(path.join(root, 'not-a-run'));
  dash = await startDashboard({ root, port: 0, refreshMs: 200 });
});
afterAll(() => dash.close());

const get = async (p: string) => {
  const r = await fetch(new URL(p, dash.url));
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: Buffer.from(await r.arrayBuffer()) };
};

test('lists the run folders and serves each report with chart downloads', async () => {
  const before = snapshot(root);
  const index = (await get('/')).body.toString();
  expect(index).toContain('href="/run/alpha/"');
  expect(index).toContain('href="/run/empty/"');
  expect(index).not.toContain('not-a-run');
  expect(index).toContain('6 of 6 evaluations');

  const runs = JSON.parse((await get('/api/runs')).body.toString());
  expect(runs.map((r: { name: string }) => r.name)).toEqual(['alpha', 'empty']);

  const page = (await get('/run/alpha/')).body.toString();
  expect(page).toContain('data-chart="reward"');
  expect(page).toContain('/run/alpha/chart/reward.png');
  const empty = (await get('/run/empty/')).body.toString();
  expect(empty).toContain('No evaluations yet');

  const svg = await get('/run/alpha/chart/pareto.svg');
  expect(svg.type).toBe('image/svg+xml');
  expect(svg.body.toString()).toMatch(/^<svg /);
  const png = await get('/run/alpha/chart/reward.png');
  expect(png.type).toBe('image/png');
  expect(png.body.subarray(1, 4).toString()).toBe('PNG');

  expect((await get('/run/nope/')).status).toBe(404);
  expect((await get('/run/alpha/chart/nope.svg')).status).toBe(404);
  expect((await get('/run/..%2F..%2Fetc/')).status).toBe(404);
  expect((await fetch(new URL('/run/alpha/', dash.url), { method: 'POST' })).status).toBe(405);
  expect(snapshot(root)).toEqual(before);
});

/** GET with the path sent byte for byte (fetch would normalise it). */
const raw = (p: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(dash.url);
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

test('malformed URLs are answered 400, unknown ones 404, never 500', async () => {
  for (const p of ['/%E0%A4%A', '/run/%E0%A4%A/', '/run/alpha/chart/%ZZ.svg', '/run/alpha/%', '/%C0%AF']) {
    expect([p, (await raw(p)).status]).toEqual([p, 400]);
  }
  expect((await raw('/%E0%A4%A')).body).toBe('malformed URL (bad percent-encoding)\n');
  for (const p of ['/runs/..%2f..', '/run/..%2f..', '/run/..%2f../', '/run/alpha/..%2f..%2fconfig.json', '/run/alpha/chart/..%2f..%2fjournal.jsonl', '/run/alpha/%00']) {
    expect([p, (await raw(p)).status]).toEqual([p, 404]);
  }
  // Still serving.
  expect((await raw('/run/alpha/')).status).toBe(200);
});

test('a run that grows changes its version and its page', async () => {
  const version = async () => JSON.parse((await get('/api/runs')).body.toString()).find((r: { name: string }) => r.name === 'alpha').version;
  const v1 = await version();
  await runSearch(config(9), { out: path.join(root, 'alpha'), evaluator: evaluator(), resume: true });
  expect(await version()).not.toBe(v1);
  expect((await get('/run/alpha/body')).body.toString()).toContain('9 of 9 evaluations');
});

test('a port in use is a one-line user error', async () => {
  const err = await startDashboard({ root, port: dash.port }).catch((e) => e);
  expect(err.userError).toBe(true);
  expect(err.message).toBe(`--port ${dash.port}: already in use on 127.0.0.1 (choose another port, or --port 0 for a free one)`);
  await expect(startDashboard({ root: path.join(root, 'missing') })).rejects.toThrow(/missing: no such folder of runs/);
});

test('--images keeps every run\'s charts written outside the run folders', async () => {
  const images = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-images-'));
  const before = snapshot(root);
  const d = await startDashboard({ root, port: 0, images, refreshMs: 100 });
  try {
    const want = ['alpha/reward.svg', 'alpha/reward.png', 'alpha/greedy.png', 'empty/reward.svg'].map((f) => path.join(images, f));
    for (let i = 0; i < 100 && !want.every((f) => fs.existsSync(f)); i++) await new Promise((r) => setTimeout(r, 100));
    for (const f of want) expect(fs.existsSync(f)).toBe(true);
  } finally {
    await d.close();
  }
  expect(snapshot(root)).toEqual(before);
});
