import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CLI, cli } from './cli-helpers';

// The report and the dashboard in a real browser (Debian's headless Chromium): every chart
// renders with a non-zero size, the console stays clean, and a live page follows a growing run.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-browser-'));
const runs = path.join(dir, 'runs');
const shots = path.join(dir, 'screenshots');
fs.mkdirSync(shots, { recursive: true });

const config = (episodes: number) =>
  JSON.stringify({
    template: 'vgg',
    dataset: 'builtin:mnist',
    budget: { episodes },
    baseline: true,
    objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
    constraints: [{ metric: 'params', max: 9_000_000 }],
    seed: 4,
    synthetic: { sleepSeconds: 0, failEvery: 11 },
  });
const search = (name: string, episodes: number, resume = false) => {
  const file = path.join(dir, `${name}-${episodes}.json`);
  fs.writeFileSync(file, config(episodes));
  const r = cli(['search', '--config', file, '--out', path.join(runs, name), '--json', ...(resume ? ['--resume'] : [])]);
  if (r.code !== 0) throw new Error(r.stderr);
};

let context: BrowserContext;
let dashboard: ChildProcess | undefined;
const errors: string[] = [];

beforeAll(async () => {
  search('done', 30);
  // In progress: the first 8 evaluations of a 30-episode run, and a half-written last line.
  search('partial', 30);
  const journal = path.join(runs, 'partial', 'journal.jsonl');
  const lines = fs.readFileSync(journal, 'utf8').split('\n');
  fs.writeFileSync(journal, lines.slice(0, 8).join('\n') + '\n' + lines[8].slice(0, 40));
  fs.mkdirSync(path.join(runs, 'empty'));
  fs.writeFileSync(path.join(runs, 'empty', 'config.json'), JSON.stringify(JSON.parse(fs.readFileSync(path.join(runs, 'done', 'config.json'), 'utf8'))));

  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.on('console', (m) => m.type() === 'error' && errors.push(`${m.location().url}: ${m.text()}`));
  context.on('weberror', (e) => errors.push(e.error().message));
});

afterAll(async () => {
  dashboard?.kill('SIGINT');
  await context?.close();
});

/** Every chart on the page: [id, width, height, drawn elements]. */
async function charts(page: Page) {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((s) => {
      const box = s.getBoundingClientRect();
      return { id: s.getAttribute('data-chart') ?? '', width: box.width, height: box.height, marks: s.querySelectorAll('rect, circle, path, line').length };
    }),
  );
}

function expectRendered(list: { id: string; width: number; height: number; marks: number }[], ids: string[]) {
  expect(list.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
  for (const c of list) {
    expect(c.width).toBeGreaterThan(100);
    expect(c.height).toBeGreaterThan(50);
    expect(c.marks).toBeGreaterThan(1);
  }
}

test.each([
  ['done', ['reward', 'pareto', 'params', 'greedy', 'best-layers', 'q-1-b1c1'], /31 of 31 evaluations/],
  ['partial', ['reward', 'pareto', 'params', 'greedy'], /half-written line/],
  ['empty', ['reward', 'pareto', 'params'], /No evaluations yet/],
])('report of the %s run renders every chart, without console errors', async (name, ids, says) => {
  const out = path.join(dir, `${name}.html`);
  expect(cli(['report', path.join(runs, name), '--out', out]).code).toBe(0);
  const page = await context.newPage();
  errors.length = 0;
  await page.goto(`file://${out}`);
  const list = await charts(page);
  expectRendered(list, ids);
  expect(list.length).toBe((fs.readFileSync(out, 'utf8').match(/<svg /g) ?? []).length);
  expect(await page.textContent('main')).toMatch(says);
  await page.screenshot({ path: path.join(shots, `report-${name}.png`), fullPage: name !== 'done' });
  expect(errors).toEqual([]);
  await page.close();
});

test('dashboard lists the runs, serves their reports and follows a run that grows', async () => {
  dashboard = spawn(process.execPath, [CLI, 'dashboard', runs, '--port', '0']);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    dashboard?.stdout?.on('data', (d) => {
      out += d;
      const m = /dashboard: (http:\/\/\S+) /.exec(out);
      if (m) resolve(m[1]);
    });
    dashboard?.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
  });
  const page = await context.newPage();
  errors.length = 0;
  await page.goto(url);
  const index = await charts(page);
  expect(index).toHaveLength(3);
  expectRendered(index, ['reward']);
  expect(await page.textContent('main')).toMatch(/partial[\s\S]*\d of 31 evaluations/);
  await page.screenshot({ path: path.join(shots, 'dashboard-index.png') });

  // Wait for the new page to load: charts read right after the click can come from a half-parsed document.
  await Promise.all([page.waitForURL(/\/run\/done\/$/, { waitUntil: 'load' }), page.click('a[href="/run/done/"]')]);
  expectRendered(await charts(page), ['reward', 'pareto', 'params', 'greedy', 'best-layers']);
  expect(await page.getAttribute('a[href="/run/done/chart/reward.png"]', 'download')).toBe('');

  // The search continues (resumed with a larger budget): the open page updates in place.
  await page.goto(new URL('/run/partial/', url).toString());
  await page.evaluate('window.scrollTo(0, 400)');
  expect(await page.textContent('#status')).toMatch(/^\d of 31 evaluations/);
  search('partial', 34, true);
  await page.waitForFunction("/^35 of 35 evaluations/.test(document.getElementById('status')?.textContent ?? '')", undefined, { timeout: 15000 });
  expect(await page.evaluate('window.scrollY')).toBe(400);
  expectRendered(await charts(page), ['reward', 'pareto', 'params', 'greedy']);
  await page.screenshot({ path: path.join(shots, 'dashboard-run.png') });
  expect(errors).toEqual([]);
  await page.close();
});
