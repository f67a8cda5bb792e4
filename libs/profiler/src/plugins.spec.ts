import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measure, profilerMetrics } from './measure';
import { CNN, makeModels } from './testing/make-models';

const FAST = { warmup: 1, minRuns: 5, maxRuns: 20, maxSeconds: 2 };

/** A project folder with node_modules/<name>/index.js = `code`, used as the cwd. */
function project(packages: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-plugin-test-'));
  for (const [name, code] of Object.entries(packages)) {
    const pkg = path.join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    writeFileSync(path.join(pkg, 'index.js'), code);
  }
  return dir;
}

describe('plug-in backends', () => {
  const models = makeModels([CNN]);
  afterEach(() => jest.restoreAllMocks());

  it('loads the example package by name, which registers itself and uses the host timing loop', async () => {
    const m = await measure(models.file('cnn'), { ...FAST, backend: '@marl-hpo/profiler-example', extra: { label: 'test board' } });
    expect(m.backend).toBe('@marl-hpo/profiler-example');
    expect(m.device).toMatch(/^test board \(example plug-in, onnxruntime-node 1\./);
    expect(m.runs).toBeGreaterThanOrEqual(5);
    expect(m.p90Ms).toBeGreaterThanOrEqual(m.p50Ms);
    // Its declared extra metric comes with every measurement.
    await expect(profilerMetrics({ backend: '@marl-hpo/profiler-example' })).resolves.toEqual({ backend: '@marl-hpo/profiler-example', metrics: ['peakRssMb'] });
    expect(m.metrics?.peakRssMb).toBeGreaterThan(10);
    await expect(profilerMetrics({ backend: 'estimate' })).resolves.toEqual({ backend: 'estimate', metrics: [] });
  });

  it("resolves packages from the user's project, and says what is wrong with a bad one", async () => {
    const dir = project({
      '@team/profiler-good': `exports.register = (api) => api.registerBackend('@team/profiler-good', {
        async init() {},
        async measure(model, opts) { return { p50Ms: model.length, p90Ms: 2, meanMs: 1, stdMs: 0, runs: opts.minRuns, backend: '@team/profiler-good', device: 'rig' }; },
      });`,
      '@team/profiler-silent': 'exports.register = () => {};',
      '@team/profiler-throws': "throw new Error('missing native driver');",
      '@team/profiler-broken-init': `exports.register = (api) => api.registerBackend('@team/profiler-broken-init', {
        async init() { throw new Error('device not connected'); }, async measure() {} });`,
      '@team/profiler-garbage': `exports.register = (api) => api.registerBackend('@team/profiler-garbage', {
        async init() {}, async measure() { return { p50Ms: 'fast' }; } });`,
      '@team/profiler-energy': `exports.register = (api) => api.registerBackend('@team/profiler-energy', {
        async init() {}, metrics: ['energyMj'],
        async measure() { return { p50Ms: 1, p90Ms: 1, meanMs: 1, stdMs: 0, runs: 1, backend: '@team/profiler-energy', device: 'rig', metrics: { energyMj: 'a lot' } }; } });`,
      '@team/profiler-bad-list': `exports.register = (api) => api.registerBackend('@team/profiler-bad-list', {
        async init() {}, metrics: 'energyMj', async measure() {} });`,
    });
    jest.spyOn(process, 'cwd').mockReturnValue(dir);
    const bytes = new Uint8Array(7);
    await expect(measure(bytes, { backend: '@team/profiler-good', minRuns: 3 })).resolves.toMatchObject({ p50Ms: 7, runs: 3, device: 'rig' });
    await expect(measure(bytes, { backend: '@team/profiler-silent' })).rejects.toMatchObject({
      userError: true,
      message: expect.stringContaining("'@team/profiler-silent' loaded but registered no backend named '@team/profiler-silent'"),
    });
    await expect(measure(bytes, { backend: '@team/profiler-throws' })).rejects.toMatchObject({
      userError: true,
      message: "profiler plug-in '@team/profiler-throws' failed to load: missing native driver",
    });
    await expect(measure(bytes, { backend: '@team/profiler-broken-init' })).rejects.toMatchObject({
      userError: true,
      message: "profiler backend '@team/profiler-broken-init': unavailable: device not connected",
    });
    // A malformed result is the plug-in's bug, not the user's: a plain Error naming the plug-in.
    const garbage = measure(bytes, { backend: '@team/profiler-garbage' });
    await expect(garbage).rejects.toThrow("profiler backend '@team/profiler-garbage' returned a malformed measurement");
    await expect(garbage).rejects.not.toHaveProperty('userError');
    await expect(profilerMetrics({ backend: '@team/profiler-energy' })).resolves.toEqual({ backend: '@team/profiler-energy', metrics: ['energyMj'] });
    await expect(measure(bytes, { backend: '@team/profiler-energy' })).rejects.toThrow(/returned a malformed measurement \(bad: metrics\)/);
    await expect(measure(bytes, { backend: '@team/profiler-bad-list' })).rejects.toThrow("registerBackend('@team/profiler-bad-list'): metrics must be a list of metric names");
  });

  it('falls back along a list of backends and lists every reason when none works', async () => {
    const dir = project({ '@team/profiler-throws': "throw new Error('missing native driver');" });
    jest.spyOn(process, 'cwd').mockReturnValue(dir);
    const m = await measure(models.file('cnn'), { ...FAST, backend: ['@team/profiler-throws', 'ort-cpu'] });
    expect(m.backend).toBe('ort-cpu');
    await expect(measure(models.file('cnn'), { backend: ['@team/profiler-throws', '@team/not-installed'] })).rejects.toMatchObject({
      userError: true,
      message: expect.stringMatching(/^no profiler backend available: \[@team\/profiler-throws\] profiler plug-in .* missing native driver; \[@team\/not-installed\] unknown profiler backend/),
    });
  });
});
