import { listBackends, registerBackend, resolveBackend, unregisterBackend } from './registry';
import type { ProfilerBackend } from './types';

function fake(initError?: string): ProfilerBackend & { inits: number } {
  const b = {
    inits: 0,
    async init() {
      b.inits++;
      if (initError) throw new Error(`${initError}\nsecond line`);
    },
    async measure() {
      return { p50Ms: 1, p90Ms: 1, meanMs: 1, stdMs: 0, runs: 1, backend: 'fake', device: 'none' };
    },
  };
  return b;
}

describe('backend registry', () => {
  const names = ['t-ok', 't-broken', 't-low', 't-beta'];
  afterEach(() => names.forEach(unregisterBackend));

  it('checks the shape of what is registered', () => {
    expect(() => registerBackend('t-ok', {} as ProfilerBackend)).toThrow(TypeError);
    expect(() => registerBackend('t-ok', { init: async () => undefined } as unknown as ProfilerBackend)).toThrow('needs init() and measure');
    expect(() => registerBackend('', fake())).toThrow(TypeError);
  });

  it('accepts the same object twice and refuses another under a taken name', () => {
    const b = fake();
    registerBackend('t-ok', b);
    registerBackend('t-ok', b);
    expect(() => registerBackend('t-ok', fake())).toThrow("'t-ok' is already registered");
  });

  it('initialises lazily and once, also when resolved concurrently', async () => {
    const b = fake();
    registerBackend('t-ok', b);
    expect(b.inits).toBe(0);
    await Promise.all([resolveBackend(['t-ok']), resolveBackend(['t-ok'])]);
    await resolveBackend(['t-ok']);
    expect(b.inits).toBe(1);
  });

  it('caches an init failure and names the reason', async () => {
    const b = fake('no device attached');
    registerBackend('t-broken', b);
    await expect(resolveBackend(['t-broken'])).rejects.toThrow("profiler backend 't-broken': unavailable: no device attached");
    await expect(resolveBackend(['t-broken'])).rejects.toMatchObject({ userError: true });
    expect(b.inits).toBe(1);
    expect(listBackends().find((x) => x.name === 't-broken')?.failure).toBe('no device attached');
  });

  it('falls back in order and lists every reason when nothing works', async () => {
    registerBackend('t-broken', fake('driver missing'));
    registerBackend('t-ok', fake());
    await expect(resolveBackend(['t-broken', 't-ok'])).resolves.toMatchObject({ name: 't-ok' });
    await expect(resolveBackend(['t-broken', 'nope'], new Map([['nope', 'plug-in failed to load']]))).rejects.toThrow(
      'no profiler backend available: [t-broken] unavailable: driver missing; [nope] plug-in failed to load',
    );
  });

  it('without names, tries registered backends by priority and skips negative ones', async () => {
    registerBackend('t-beta', fake(), 10_000 * -1);
    registerBackend('t-low', fake(), 1);
    registerBackend('t-ok', fake(), 10_000);
    expect((await resolveBackend()).name).toBe('t-ok');
    unregisterBackend('t-ok');
    const order = listBackends().map((b) => b.name);
    expect(order.indexOf('t-low')).toBeLessThan(order.indexOf('t-beta'));
    expect(order[order.length - 1]).toBe('t-beta');
  });
});
