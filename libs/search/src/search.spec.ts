import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, readJournal, runSearch, SyntheticEvaluator, type EvaluationRecord, type SearchConfigInput } from './index';
import type { DatasetInfo, EvalJob, EvalOutcome, Evaluator } from './evaluator';
import { decodeModel } from '@marl-hpo/onnx';

const mnist: Omit<DatasetInfo, 'metrics'> = { input: [28, 28, 1], classes: 10, task: 'classification' };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'search-'));
const baseConfig: SearchConfigInput = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 12 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 2_000_000 }],
  seed: 3,
};
const config = (over: Partial<SearchConfigInput> = {}) => parseConfig({ ...baseConfig, ...over });
/** A journal without the fields that legitimately differ between runs (times). */
const comparable = (records: EvaluationRecord[]) => records.map(({ time: _t, timings: _s, ...r }) => r);

/** Counts evaluations and can fail or throw on chosen proposals. */
class Probe implements Evaluator {
  inner = new SyntheticEvaluator(mnist);
  jobs: EvalJob[] = [];
  constructor(private readonly hook: (job: EvalJob) => void = () => {}) {}
  prepare = () => this.inner.prepare();
  async evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    this.jobs.push(job);
    this.hook(job);
    return this.inner.evaluate(job, signal);
  }
  close = async () => {};
}

test('a run writes the journal, agents, results, pareto front and the best model', async () => {
  const out = tmp();
  const probe = new Probe();
  const result = await runSearch(config(), { out, evaluator: probe });
  // Configurations rejected on the cost model before training are free: the budget counts evaluations.
  expect(result.records.filter((r) => !r.skipped && r.cachedFrom === undefined)).toHaveLength(12);
  expect(probe.jobs).toHaveLength(12);
  expect(result.records.some((r) => r.skipped)).toBe(true);
  expect(result.stopped).toBe('budget');
  const { records } = readJournal(path.join(out, 'journal.jsonl'));
  expect(records.map((r) => r.episode)).toEqual([...Array(result.records.length).keys()]);
  const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8'));
  const feasible = records.filter((r) => r.status === 'ok');
  expect(best.reward).toBe(Math.max(...feasible.map((r) => r.reward)));
  const model = decodeModel(fs.readFileSync(path.join(out, 'best.onnx')));
  expect(JSON.parse(model.metadata_props?.find((p) => p.key === 'configuration')?.value ?? '')).toEqual(best.values);
  expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(result.records.length + 1);
  const agents = JSON.parse(fs.readFileSync(path.join(out, 'agents.json'), 'utf8'));
  expect(agents.agent.algorithm).toBe('marl');
  expect(agents.slots.map((s: { name: string }) => s.name)[0]).toBe('b1c1');
  const pareto = JSON.parse(fs.readFileSync(path.join(out, 'pareto.json'), 'utf8'));
  expect(pareto.front.length).toBeGreaterThan(0);
  for (const p of pareto.front) {
    expect(feasible.some((r) => r.metrics.accuracy! > p.quality && r.metrics.latencyMs! < p.latencyMs)).toBe(false);
  }
  expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).seed).toBe(3);
});

test('hard constraints decided by the cost model skip training', async () => {
  const probe = new Probe();
  const result = await runSearch(config({ constraints: [{ metric: 'params', max: 300_000 }], budget: { episodes: 10 } }), { out: tmp(), evaluator: probe });
  const skipped = result.records.filter((r) => r.status === 'infeasible');
  expect(skipped.length).toBeGreaterThan(0);
  expect(skipped.every((r) => r.skipped && r.reward === 0 && r.metrics.params! > 300_000 && /params = \d+ > max 300000/.test(r.violations[0]))).toBe(true);
  expect(probe.jobs).toHaveLength(result.records.length - skipped.length);
  expect(probe.jobs.length).toBeGreaterThan(0);
});

test('a configuration evaluated before is not trained again', async () => {
  const probe = new Probe();
  // Random search over a tiny custom space repeats configurations quickly.
  const file = path.join(tmp(), 'tiny.json');
  fs.writeFileSync(file, JSON.stringify({
    name: 'tiny', task: 'classification', input: [28, 28, 1], classes: 10,
    slots: [{ name: 'c1', choices: [4, 8] }], baseline: { c1: 8 },
    layers: [{ kind: 'conv2d', name: 'c1', filters: { slot: 'c1' }, kernel: 3 }, { kind: 'globalAvgPool', name: 'g' }, { kind: 'dense', name: 'logits', units: 10, activation: 'linear' }],
  }));
  const result = await runSearch(config({ template: `custom:${file}`, algorithm: 'random', budget: { episodes: 8 } }), { out: tmp(), evaluator: probe });
  expect(probe.jobs).toHaveLength(2);
  const cached = result.records.filter((r) => r.cachedFrom !== undefined);
  expect(cached.length).toBeGreaterThan(0);
  expect(cached.length + 2).toBe(result.records.length);
  for (const r of cached) expect(r.reward).toBe(result.records[r.cachedFrom!].reward);
  // Both configurations of the space were evaluated: the search stops, with budget left.
  expect(result.stopped).toBe('budget');
});

test('the baseline is evaluated first when asked, as the original network (no batch norm, dropout 0.5) unless the options are set', async () => {
  const probe = new Probe();
  const result = await runSearch(config({ baseline: true, budget: { episodes: 3 }, constraints: [] }), { out: tmp(), evaluator: probe });
  expect(result.records).toHaveLength(4);
  expect(result.records[0].baseline).toBe(true);
  expect(result.records[0].values['b1c1']).toEqual({ filters: 64, kernel: 3 });
  const bn = (job: EvalJob) => job.ir.layers.filter((l) => l.kind === 'conv2d').map((l) => (l as { batchNorm: boolean }).batchNorm);
  const dropout = (job: EvalJob) => job.ir.layers.filter((l) => l.kind === 'dropout').map((l) => (l as { rate: number }).rate);
  expect(new Set(bn(probe.jobs[0]))).toEqual(new Set([false]));
  expect(dropout(probe.jobs[0])).toEqual([0.5, 0.5]);
  for (const job of probe.jobs.slice(1)) {
    expect(new Set(bn(job))).toEqual(new Set([true]));
    expect(dropout(job)).toEqual([0, 0]);
  }

  const explicit = new Probe();
  await runSearch(config({ baseline: true, budget: { episodes: 1 }, constraints: [], templateOptions: { batchNorm: false, dropout: 0.3 } }), { out: tmp(), evaluator: explicit });
  expect(explicit.jobs.flatMap(bn).every((b) => b === false)).toBe(true);
  expect(explicit.jobs.flatMap(dropout).every((r) => r === 0.3)).toBe(true);
});

test('an evaluation whose training diverged is journaled as diverged, with the minimum reward', async () => {
  let n = 0;
  const inner = new SyntheticEvaluator(mnist);
  const diverging: Evaluator = {
    prepare: () => inner.prepare(),
    async evaluate(job, signal) {
      if (++n === 2) return { metrics: { trainSeconds: 0.1 }, diverged: { epoch: 1, step: 7, loss: 'NaN' }, timings: { train: 0.1 } };
      return inner.evaluate(job, signal);
    },
    close: async () => {},
  };
  const out = tmp();
  const r = await runSearch(config({ budget: { episodes: 3 }, constraints: [] }), { out, evaluator: diverging });
  expect(r.records.map((x) => x.status)).toEqual(['ok', 'diverged', 'ok']);
  expect(r.records[1]).toMatchObject({ reward: 0, diverged: { epoch: 1, step: 7, loss: 'NaN' }, error: 'diverged: loss NaN at step 7 (epoch 1)' });
  expect(r.records[1].metrics.accuracy).toBeUndefined();
  expect(readJournal(path.join(out, 'journal.jsonl')).records[1].status).toBe('diverged');
});

test('a crashing evaluation is recorded and the search goes on; a user error stops it with the journal intact', async () => {
  let n = 0;
  const crashes = new Probe(() => {
    if (++n === 2) throw new Error('out of memory');
  });
  const r1 = await runSearch(config({ budget: { episodes: 4 }, constraints: [] }), { out: tmp(), evaluator: crashes });
  expect(r1.records.map((r) => r.status)).toEqual(['ok', 'failed', 'ok', 'ok']);
  expect(r1.records[1]).toMatchObject({ error: 'out of memory', reward: 0 });

  const out = tmp();
  let m = 0;
  const userError = Object.assign(new Error('profiler: http://dev:9000 is down'), { userError: true });
  const stops = new Probe(() => {
    if (++m === 3) throw userError;
  });
  await expect(runSearch(config({ budget: { episodes: 5 }, constraints: [] }), { out, evaluator: stops })).rejects.toBe(userError);
  expect(readJournal(path.join(out, 'journal.jsonl')).records).toHaveLength(2);
});

test('resume continues exactly where an interrupted run stopped (any algorithm)', async () => {
  for (const algorithm of ['marl', 'random', 'qlearning', 'evolution'] as const) {
    const whole = await runSearch(config({ algorithm }), { out: tmp(), evaluator: new Probe() });
    const out = tmp();
    const ac = new AbortController();
    let seen = 0;
    const first = await runSearch(config({ algorithm }), { out, evaluator: new Probe(), signal: ac.signal, onEpisode: () => ++seen === 5 && ac.abort() });
    expect(first.stopped).toBe('interrupted');
    expect(first.records).toHaveLength(5);
    const resumed = await runSearch(config({ algorithm }), { out, resume: true, evaluator: new Probe() });
    expect(comparable(resumed.records)).toEqual(comparable(whole.records));
    expect(fs.readFileSync(path.join(out, 'agents.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole.dir, 'agents.json'), 'utf8'));
  }
});

test('a half-written last journal line is ignored on resume and overwritten', async () => {
  const whole = await runSearch(config({ budget: { episodes: 6 } }), { out: tmp(), evaluator: new Probe() });
  const out = tmp();
  const ac = new AbortController();
  await runSearch(config({ budget: { episodes: 6 } }), { out, evaluator: new Probe(), signal: ac.signal, onEpisode: (e) => e.done === 3 && ac.abort() });
  const journal = path.join(out, 'journal.jsonl');
  fs.appendFileSync(journal, '{"type":"evaluation","episode":3,"conf');
  expect(readJournal(journal)).toMatchObject({ truncatedTail: true });
  const resumed = await runSearch(config({ budget: { episodes: 6 } }), { out, resume: true, evaluator: new Probe() });
  expect(comparable(resumed.records)).toEqual(comparable(whole.records));
  expect(readJournal(journal)).toMatchObject({ truncatedTail: false });
});

test('bad run folders and configs are user errors naming the file or field', async () => {
  const out = tmp();
  await runSearch(config({ budget: { episodes: 1 } }), { out, evaluator: new Probe() });
  await expect(runSearch(config({ budget: { episodes: 1 } }), { out, evaluator: new Probe() })).rejects.toThrow(/already holds a run .* pass --resume/);
  await expect(runSearch(config({ seed: 4 }), { out, resume: true, evaluator: new Probe() })).rejects.toThrow(/config\.json: --resume needs the run's config \(only budget may change\), but seed is 3 in the run and 4 now$/);
  expect(() => parseConfig({ ...baseConfig, objectives: [{ metric: 'accuracy', goal: 'maximize' }] }, 's.json')).toThrow(`s.json: objectives[0].goal: expected 'max' or 'min', got "maximize"`);
  expect(() => parseConfig({ ...baseConfig, objectives: [{ metric: 'latencyMs', target: '1', weight: -1 }] }, 's.json')).toThrow(/^s\.json: objectives\[0\]\.target: expected a number > 0, got "1"/);
  expect(() => parseConfig({ ...baseConfig, constraints: [{ metric: 'params', max: 'big' }] }, 's.json')).toThrow(/^s\.json: constraints\[0\]\.max: expected a finite number, got "big"$/);
  expect(() => parseConfig({ ...baseConfig, objectives: undefined }, 's.json')).toThrow(/^s\.json: objectives: expected a non-empty list/);
  // A metric nothing produces: refused once the evaluator said what it produces, before any evaluation.
  const probe = new Probe();
  await expect(runSearch(config({ objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMS', target: 1, weight: -0.1 }] }), { out: tmp(), evaluator: probe })).rejects.toThrow(
    "objectives[1].metric: 'latencyMS' is not produced (did you mean 'latencyMs'? metrics: accuracy, loss, latencyMs, trainSeconds, onnxBytes, params, macs)",
  );
  expect(probe.jobs).toHaveLength(0);
  expect(() => parseConfig({ ...baseConfig, budget: {} }, 's.json')).toThrow('s.json: budget: budget needs episodes or seconds');
  expect(() => parseConfig({ ...baseConfig, trainer: { epochs: 0 } }, 's.json')).toThrow(/^s\.json: trainer\.epochs: /);
  expect(() => parseConfig({ ...baseConfig, extra: 1 }, 's.json')).toThrow(/^s\.json: Unrecognized key: "extra"/);
  await expect(runSearch(config({ template: 'unet' }), { out: tmp(), evaluator: new Probe() })).rejects.toThrow(/'unet' is a segmentation template but dataset 'builtin:mnist' is for classification/);
});

test('multi-fidelity screens every proposal and trains only the promising ones fully', async () => {
  const probe = new Probe();
  const mf = { screen: { epochs: 1, trainFraction: 0.25 }, promote: 0.3, minScreened: 3 };
  const result = await runSearch(config({ budget: { episodes: 20 }, constraints: [], multiFidelity: mf }), { out: tmp(), evaluator: probe });
  const screens = result.records.filter((r) => r.screen);
  const fulls = result.records.filter((r) => r.promotedFrom !== undefined);
  expect(screens).toHaveLength(20);
  expect(screens.every((r) => r.fidelity.epochs === 1 && r.fidelity.trainFraction === 0.25)).toBe(true);
  expect(fulls.length).toBe(screens.filter((r) => r.promoted).length);
  expect(fulls.length).toBeGreaterThanOrEqual(3);
  expect(fulls.length).toBeLessThan(screens.length);
  // Promoted exactly when the screen ranks in the top `promote` fraction of the screens so far
  // (among the first `minScreened`, when it is a new best); how many that is depends on how fast the agents improve.
  const ranked: number[] = [];
  for (const s of screens) {
    if (s.status !== 'ok') {
      expect(s.promoted).toBe(false);
      continue;
    }
    ranked.push(s.reward);
    const better = ranked.filter((x) => x > s.reward).length;
    expect(s.promoted).toBe(ranked.length <= mf.minScreened ? better === 0 : better < Math.ceil(mf.promote * ranked.length));
  }
  for (const f of fulls) {
    const screen = result.records[f.promotedFrom!];
    expect(screen.promoted).toBe(true);
    expect(screen.observed).toBe(false);
    expect(f.config).toEqual(screen.config);
    expect(f.fidelity).toEqual({ epochs: 2 });
  }
  // The agents learned once per episode: from the full evaluation when promoted, else from the screen.
  expect(result.records.filter((r) => r.observed !== false)).toHaveLength(20);
  // The best model comes from a full evaluation.
  expect(result.best?.fidelity).toEqual({ epochs: 2 });
  expect(probe.jobs.filter((j) => j.fidelity.epochs === 2)).toHaveLength(fulls.filter((r) => r.cachedFrom === undefined).length);
});

test('multi-fidelity resumes a promotion that was in flight, like an uninterrupted run', async () => {
  const mf = { screen: { epochs: 1, trainFraction: 0.5 }, promote: 0.5, minScreened: 2 };
  const cfg = config({ budget: { episodes: 10 }, constraints: [], multiFidelity: mf });
  const whole = await runSearch(cfg, { out: tmp(), evaluator: new Probe() });
  // Stop right after a promoted screen, before its full evaluation.
  const cut = whole.records.findIndex((r, i) => i > 2 && r.promoted);
  const out = tmp();
  const ac = new AbortController();
  await runSearch(cfg, { out, evaluator: new Probe(), signal: ac.signal, onEpisode: (e) => e.record.episode === cut && ac.abort() });
  expect(readJournal(path.join(out, 'journal.jsonl')).records).toHaveLength(cut + 1);
  const resumed = await runSearch(cfg, { out, resume: true, evaluator: new Probe() });
  expect(comparable(resumed.records)).toEqual(comparable(whole.records));
  expect(fs.readFileSync(path.join(out, 'agents.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole.dir, 'agents.json'), 'utf8'));
});

test('multi-fidelity resumed after failed screens promotes as an uninterrupted run', async () => {
  // Failed screens do not rank: a resumed run must replay exactly the screens the live run ranked.
  const mf = { screen: { epochs: 1, trainFraction: 0.5 }, promote: 0.3, minScreened: 3 };
  const cfg = config({ budget: { episodes: 16 }, constraints: [], multiFidelity: mf });
  const failSome = () => new Probe((job) => {
    if (job.fidelity.epochs === 1 && job.values && JSON.stringify(job.values).length % 3 === 0) throw new Error('screen crashed');
  });
  const whole = await runSearch(cfg, { out: tmp(), evaluator: failSome() });
  expect(whole.records.filter((r) => r.screen && r.status === 'failed').length).toBeGreaterThan(1);
  const cut = whole.records.findIndex((r, i) => i > whole.records.length / 2 && r.screen);
  const out = tmp();
  const ac = new AbortController();
  await runSearch(cfg, { out, evaluator: failSome(), signal: ac.signal, onEpisode: (e) => e.record.episode === cut && ac.abort() });
  const resumed = await runSearch(cfg, { out, resume: true, evaluator: failSome() });
  expect(comparable(resumed.records)).toEqual(comparable(whole.records));
});

test("a remote profiler's token is not written to the run folder", async () => {
  const out = tmp();
  await runSearch(config({ budget: { episodes: 1 }, profiler: { backend: 'remote', url: 'http://dev:8410', token: 's3cret' } }), { out, evaluator: new Probe() });
  const written = fs.readFileSync(path.join(out, 'config.json'), 'utf8');
  expect(written).not.toMatch(/s3cret/);
  expect(JSON.parse(written).profiler.url).toBe('http://dev:8410');
  await expect(runSearch(config({ budget: { episodes: 2 }, profiler: { backend: 'remote', url: 'http://dev:8410', token: 'other' } }), { out, resume: true, evaluator: new Probe() })).resolves.toBeDefined();
});

test('resuming a finished run changes nothing: same journal, same agents.json', async () => {
  const out = tmp();
  await runSearch(config({ budget: { episodes: 5 } }), { out, evaluator: new Probe() });
  const agents = fs.readFileSync(path.join(out, 'agents.json'), 'utf8');
  const journal = fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8');
  const probe = new Probe();
  await runSearch(config({ budget: { episodes: 5 } }), { out, resume: true, evaluator: probe });
  expect(probe.jobs).toHaveLength(0);
  expect(fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8')).toBe(journal);
  expect(fs.readFileSync(path.join(out, 'agents.json'), 'utf8')).toBe(agents);
});
