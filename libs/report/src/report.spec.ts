import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { marlTables } from '@marl-hpo/agents';
import { getTemplate, summarize } from '@marl-hpo/arch';
import { parseConfig, paretoFront, runSearch, SyntheticEvaluator, type SearchConfigInput } from '@marl-hpo/search';
import { allCharts, buildReport, loadRun, marlGreedy, writeImages, type ReportRecord } from './index';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
const base: SearchConfigInput = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 24 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 9_000_000 }],
  seed: 7,
  baseline: true,
};

async function makeRun(over: Partial<SearchConfigInput> = {}, synthetic: { failEvery?: number } = {}): Promise<string> {
  const out = tmp();
  const evaluator = new SyntheticEvaluator({ input: [28, 28, 1], classes: 10, task: 'classification' }, synthetic);
  await runSearch(parseConfig({ ...base, ...over }), { out, evaluator });
  return out;
}

/** Parses every SVG with Python's XML parser (an independent check that they are well-formed) and counts elements per tag. */
function pythonParse(svgs: string[]): Record<string, number>[] {
  const script = `
import json, sys, xml.etree.ElementTree as ET
from collections import Counter
out = []
for s in json.load(sys.stdin):
    root = ET.fromstring(s)
    out.append(Counter(el.tag.split('}')[-1] for el in root.iter()))
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(svgs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

let marl: string;
beforeAll(async () => {
  marl = await makeRun({}, { failEvery: 9 });
});

test('the model agrees with the journal: best, baseline ratios, top configurations, Pareto front', () => {
  const { model: m } = buildReport(marl);
  const records = m.run.records;
  // The budget (24 episodes + the baseline) counts evaluations; cached and skipped records are free.
  expect(m.done).toBe(25);
  expect(records.length).toBe(fs.readFileSync(path.join(marl, 'journal.jsonl'), 'utf8').trim().split('\n').length);
  const ok = records.filter((r) => r.status === 'ok');
  const bestReward = Math.max(...ok.map((r) => r.reward));
  expect(m.best?.reward).toBe(bestReward);
  expect(m.best?.episode).toBe(ok.find((r) => r.reward === bestReward)?.episode);
  const bestJson = JSON.parse(fs.readFileSync(path.join(marl, 'best.json'), 'utf8'));
  expect(m.best?.episode).toBe(bestJson.episode);

  expect(m.baseline?.baseline).toBe(true);
  expect(m.baseline?.episode).toBe(0);
  const params = m.comparison.find((c) => c.metric === 'parameters');
  expect(params?.ratio).toBeCloseTo(m.best!.metrics.params! / m.baseline!.metrics.params!, 12);
  const acc = m.comparison.find((c) => c.metric === 'accuracy');
  expect(acc?.change).toMatch(/^[+-]\d+\.\d\d points$/);

  const rewards = m.top.map((t) => t.record.reward);
  expect(rewards).toEqual([...rewards].sort((a, b) => b - a));
  expect(new Set(m.top.map((t) => JSON.stringify(t.record.values))).size).toBe(m.top.length);
  expect(m.top.length).toBe(Math.min(10, new Set(ok.map((r) => JSON.stringify(r.values))).size));
  expect(m.front).toEqual(paretoFront(records));

  // Layer tables rebuilt from the configuration agree with the static cost the journal recorded.
  for (const t of m.top) {
    expect('summary' in t.layers).toBe(true);
    if ('summary' in t.layers) expect(t.layers.summary.params).toBe(t.record.metrics.params);
  }
  // The run's config leaves batchNorm unset: searched configurations have batch norm (the baseline would not).
  const ir = getTemplate('vgg').instantiate(m.best!.values, { input: [28, 28, 1], classes: 10, batchNorm: true });
  expect(m.bestLayers && 'summary' in m.bestLayers && m.bestLayers.summary).toEqual(summarize(ir));
  expect(m.counts.ok + m.counts.infeasible + m.counts.failed).toBe(records.length);
  expect(m.counts.failed).toBeGreaterThan(0);
});

test('replaying the journal reproduces agents.json, and the greedy history ends at its greedy configuration', () => {
  const { model: m } = buildReport(marl);
  const a = m.agent;
  expect(a.algorithm).toBe('marl');
  expect(a.notes).toEqual([]);
  expect(a.history.map((h) => h.episode)).toEqual(m.run.records.map((r) => r.episode));
  const final = marlGreedy(marlTables(m.run.agents!.agent));
  expect(a.history[a.history.length - 1].config).toEqual(final);
  expect(a.tables).toHaveLength(m.run.agents!.slots.length);
});

test('every chart is well-formed SVG with one mark per evaluation; images are written as SVG and PNG', async () => {
  const { charts, model, html } = buildReport(marl);
  const all = allCharts(charts);
  const ids = all.map((c) => c.id);
  expect(ids).toEqual(expect.arrayContaining(['reward', 'pareto', 'params', 'greedy', 'best-layers', 'q-1-b1c1']));
  expect(new Set(ids).size).toBe(ids.length);
  const parsed = pythonParse(all.map((c) => c.svg));
  const reward = parsed[ids.indexOf('reward')];
  const marks = (reward.circle ?? 0) + (reward.path ?? 0) + (reward.rect ?? 0);
  expect(marks).toBeGreaterThanOrEqual(model.run.records.length);
  // Q-table heatmap: one <rect> per entry (plus background and legend).
  const q2 = parsed[ids.indexOf('q-2-b1c2')];
  const t = model.agent.tables![1];
  expect(q2.rect).toBe(t.q.length * t.q[0].length + 2);
  for (const c of all) expect(html).toContain(`data-chart="${c.id}"`);
  expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

  const dir = tmp();
  const files = await writeImages(all.slice(0, 2), dir);
  expect(files.map((f) => path.basename(f))).toEqual(['reward.svg', 'reward.png', 'pareto.svg', 'pareto.png']);
  const png = fs.readFileSync(path.join(dir, 'reward.png'));
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(all[0].width * 2);
});

test('a half-written last journal line is ignored and reported', () => {
  const dir = tmp();
  for (const f of ['config.json', 'agents.json', 'journal.jsonl']) fs.copyFileSync(path.join(marl, f), path.join(dir, f));
  fs.appendFileSync(path.join(dir, 'journal.jsonl'), '{"type":"evaluation","episode":25,"con');
  const { model: m, html } = buildReport(dir);
  expect(m.run.truncatedTail).toBe(true);
  expect(m.run.records).toEqual(buildReport(marl).model.run.records);
  expect(m.missing.join(' ')).toMatch(/half-written line/);
  expect(html).toContain('half-written');
});

test('a run in progress says how far it got; agents.json lagging the journal is explained', () => {
  const dir = tmp();
  for (const f of ['config.json', 'agents.json']) fs.copyFileSync(path.join(marl, f), path.join(dir, f));
  const lines = fs.readFileSync(path.join(marl, 'journal.jsonl'), 'utf8').split('\n').slice(0, 10);
  fs.writeFileSync(path.join(dir, 'journal.jsonl'), lines.join('\n') + '\n');
  const { model: m } = buildReport(dir);
  expect(m.done).toBeLessThanOrEqual(10);
  expect(m.missing.join(' ')).toContain(`${m.done} of 25 planned evaluations`);
  const observed = buildReport(marl).model.run.records.length;
  expect(m.agent.notes.join(' ')).toContain(`agents.json holds ${observed} observations and the journal 10`);
});

test('an empty run renders every section, saying what is missing', () => {
  const dir = tmp();
  fs.copyFileSync(path.join(marl, 'config.json'), path.join(dir, 'config.json'));
  const { model: m, charts, html } = buildReport(dir);
  expect(m.run.records).toEqual([]);
  expect(m.missing.join(' ')).toMatch(/No evaluations yet/);
  expect(m.missing.join(' ')).toMatch(/agents\.json is missing/);
  expect(allCharts(charts).map((c) => c.id)).toEqual(['reward', 'pareto', 'params']);
  expect(charts.progress[0].svg).toContain('no evaluations yet');
  expect(html).toContain('No feasible configuration yet');
});

test('a corrupt line inside the journal is an error naming the line; a folder that is not a run too', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'journal.jsonl'), 'garbage\n{"type":"evaluation"}\n');
  expect(() => loadRun(dir)).toThrow(/journal\.jsonl:1: unreadable journal line/);
  expect(() => loadRun(tmp())).toThrow(/not a run folder \(no config\.json or journal\.jsonl\)/);
  expect(() => loadRun(path.join(dir, 'nope'))).toThrow(/no such run folder/);
});

test('per-op latency is shown where a record carries it', () => {
  const dir = tmp();
  for (const f of ['config.json', 'agents.json']) fs.copyFileSync(path.join(marl, f), path.join(dir, f));
  const ops = [{ opType: 'Conv', ms: 0.12, share: 0.75, nodes: 13 }, { opType: 'Gemm', ms: 0.04, share: 0.25, nodes: 3 }];
  const records = fs.readFileSync(path.join(marl, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ReportRecord);
  const bestEpisode = buildReport(marl).model.best!.episode;
  fs.writeFileSync(path.join(dir, 'journal.jsonl'), records.map((r) => JSON.stringify(r.episode === bestEpisode ? { ...r, ops } : r)).join('\n') + '\n');
  const { charts, html, model } = buildReport(dir);
  expect(model.best?.ops).toEqual(ops);
  const chart = charts.best.find((c) => c.id === 'best-ops');
  expect(chart?.svg).toContain('Conv ×13');
  expect(chart?.svg).toContain('75.0%');
  expect(html).not.toContain('not profiled with --ops');
});

test.each([
  ['qlearning', /prefix of choices/, 'q-path'],
  ['evolution', /keeps a population/, 'greedy'],
  ['random', /learns nothing/, undefined],
])('%s runs show what their algorithm has, and say what is absent', async (algorithm, note, chart) => {
  const dir = await makeRun({ algorithm: algorithm as 'random', budget: { episodes: 12 }, baseline: false, agent: algorithm === 'evolution' ? { population: 4, sample: 2 } : {} });
  const { model: m, charts, html } = buildReport(dir);
  expect(m.agent.notes.join(' ')).toMatch(note);
  expect(m.agent.tables).toBeUndefined();
  if (chart) expect(charts.agents.map((c) => c.id)).toContain(chart);
  else expect(charts.agents).toEqual([]);
  if (algorithm !== 'random') expect(m.agent.notes.join(' ')).not.toMatch(/does not reproduce/);
  expect(m.missing.join(' ')).toMatch(/No baseline: the config has "baseline": false/);
  expect(html).toContain(`(${algorithm})`);
});

test('multi-fidelity: screens are drawn but never best, top or on the front; the replay skips promoted screens', async () => {
  const dir = await makeRun({ budget: { episodes: 16 }, multiFidelity: { screen: { epochs: 1, trainFraction: 0.25 }, promote: 0.3, minScreened: 2 } } as Partial<SearchConfigInput>);
  const { model: m, charts } = buildReport(dir);
  const screens = m.run.records.filter((r) => r.screen);
  expect(screens.length).toBeGreaterThan(0);
  expect(m.run.records.some((r) => r.observed === false)).toBe(true);
  expect(m.full.every((r) => !r.screen && r.fidelity.epochs === 2)).toBe(true);
  expect(m.best?.screen).toBeUndefined();
  expect(m.top.every((t) => !t.record.screen)).toBe(true);
  const screenEpisodes = new Set(screens.map((r) => r.episode));
  expect(m.front.some((p) => screenEpisodes.has(p.episode))).toBe(false);
  expect(m.best?.episode).toBe(JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8')).episode);
  expect(m.agent.notes.join(' ')).not.toMatch(/does not reproduce|holds \d+ observations/);
  expect(charts.progress[0].svg).toContain('screening (lower fidelity)');
});
