import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeModel } from '@marl-hpo/onnx';
import type * as ort from 'onnxruntime-node';
import { firstLine, InvalidModelError, ProfilerError } from '../errors';
import { timeLoop } from '../harness';
import { externalTensor } from '../external-data';
import { checkMemory } from '../memory';
import type { Measurement, OpTime, ProfilerBackend, ResolvedMeasureOptions } from '../types';
import { randomFeeds } from './ort-feeds';
import { opTimesFromProfile } from './ort-ops';

type Ort = typeof ort;

/** Runs profiled for `ops`, in a separate session so profiling never slows the timed loop. */
const OPS_RUNS = 20;

export function hostDevice(runtime: string): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} x${cpus.length} (${process.platform}-${process.arch}), ${runtime}`;
}

/** onnxruntime-node on this machine: cpu by default, other execution providers where the build has them. */
export function createOrtBackend(): ProfilerBackend {
  let lib: Ort | undefined;
  return {
    async init() {
      const m = (await import('onnxruntime-node')) as Ort & { default?: Ort };
      lib = m.InferenceSession ? m : m.default;
      if (!lib?.InferenceSession) throw new Error('onnxruntime-node loaded but has no InferenceSession');
    },
    async measure(model, opts) {
      if (!lib) throw new Error('ort-cpu: measure() before init()');
      return measureOrt(lib, model, opts);
    },
  };
}

function sessionOptions(lib: Ort, opts: ResolvedMeasureOptions): ort.InferenceSession.SessionOptions {
  const available = lib.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
  for (const ep of opts.executionProviders) {
    if (!available.includes(ep)) throw new ProfilerError(`executionProviders: '${ep}' is not available in this onnxruntime-node build (available: ${available.join(', ')})`);
  }
  return {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: opts.interOpThreads,
    executionMode: opts.interOpThreads > 1 ? 'parallel' : 'sequential',
    graphOptimizationLevel: opts.graphOptimizationLevel,
    executionProviders: opts.executionProviders,
    logSeverityLevel: 3,
  };
}

async function createSession(lib: Ort, model: Uint8Array, options: ort.InferenceSession.SessionOptions, source: string) {
  try {
    return await lib.InferenceSession.create(model, options);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const eps = (options.executionProviders ?? []) as string[];
    if (eps.some((ep) => ep !== 'cpu')) {
      // Was it the execution provider (e.g. no GPU adapter) or the model? Try the model on cpu.
      let onCpu;
      try {
        onCpu = await lib.InferenceSession.create(model, { ...options, executionProviders: ['cpu'] });
      } catch (cpuError) {
        throw new InvalidModelError(source, cpuError instanceof Error ? cpuError.message : String(cpuError));
      }
      await onCpu.release();
      throw new ProfilerError(`executionProviders: ${eps.join(', ')} failed to initialise (${firstLine(reason)})`);
    }
    throw new InvalidModelError(source, reason);
  }
}

/**
 * Refuses, before onnxruntime allocates anything, a batch or input that cannot fit in memory,
 * and external data (bytes have no folder to read it from: onnxruntime would look in the
 * working directory, a server's included; measure() inlines it for files).
 */
function checkModel(model: Uint8Array, opts: ResolvedMeasureOptions): void {
  let proto;
  try {
    proto = decodeModel(model, opts.source);
  } catch {
    return; // not decodable: onnxruntime says what is wrong with it
  }
  const external = externalTensor(proto.graph);
  if (external) throw new ProfilerError(`${opts.source}: tensor '${external.name ?? ''}' keeps its data in an external file; profile the model file (its external data is read from beside it) or save it without external data`);
  checkMemory(proto, opts.batch, opts.source);
}

async function measureOrt(lib: Ort, model: Uint8Array, opts: ResolvedMeasureOptions): Promise<Measurement> {
  checkModel(model, opts);
  const options = sessionOptions(lib, opts);
  const session = await createSession(lib, model, options, opts.source);
  let stats;
  try {
    const feeds = randomFeeds(lib, session, opts.batch, opts.seed, opts.source);
    stats = await timeLoop(() => session.run(feeds), opts);
  } finally {
    await session.release();
  }
  const m: Measurement = {
    p50Ms: stats.p50Ms,
    p90Ms: stats.p90Ms,
    meanMs: stats.meanMs,
    stdMs: stats.stdMs,
    runs: stats.runs,
    backend: opts.backend,
    device: hostDevice(`onnxruntime-node ${lib.env.versions.node ?? '?'} [${opts.executionProviders.join(',')}]`),
    relCI: Number.isFinite(stats.relCI) ? stats.relCI : undefined,
  };
  if (opts.ops) m.ops = await profileOps(lib, model, options, opts);
  return m;
}

async function profileOps(lib: Ort, model: Uint8Array, options: ort.InferenceSession.SessionOptions, opts: ResolvedMeasureOptions): Promise<OpTime[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'marl-hpo-ortprof-'));
  try {
    const session = await createSession(lib, model, { ...options, enableProfiling: true, profileFilePrefix: path.join(dir, 'ort') }, opts.source);
    try {
      const feeds = randomFeeds(lib, session, opts.batch, opts.seed, opts.source);
      // The first run allocates; skipFirstRun drops it from the per-op figures.
      for (let i = 0; i < OPS_RUNS + 1; i++) await session.run(feeds);
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile in ${dir}`);
    return opTimesFromProfile(skipFirstRun(JSON.parse(await readFile(path.join(dir, file), 'utf8'))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Ev = { cat?: string; name?: string; ts?: number; dur?: number };

/** Drops the first model_run and every event before its end. */
export function skipFirstRun<T extends Ev>(events: T[]): T[] {
  const first = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0))[0];
  if (!first) return events;
  const end = (first.ts ?? 0) + (first.dur ?? 0);
  return events.filter((e) => e !== first && (e.ts ?? 0) > end);
}
