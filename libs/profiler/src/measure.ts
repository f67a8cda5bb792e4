import { readFile } from 'node:fs/promises';
import { ProfilerError } from './errors';
import { inlineExternalData } from './external-data';
import { resolveOptions } from './options';
import { ensureBackend } from './plugins';
import { resolveBackend } from './registry';
import type { Measurement, MeasureOptions, ProfilerBackend } from './types';
import './builtins';

/**
 * Measures the latency of an ONNX model (bytes, or a file path) on the backend named in
 * `opts.backend` (default 'ort-cpu'); plug-in packages are loaded on first use.
 */
export async function measure(model: Uint8Array | string, opts: MeasureOptions = {}): Promise<Measurement> {
  const resolved = resolveOptions(typeof model === 'string' ? { source: model, ...opts } : opts);
  const bytes = typeof model === 'string' ? await readModelFile(model) : model;
  const { name, backend } = await backendFor(resolved.backends);
  let m: Measurement;
  try {
    m = await backend.measure(bytes, { ...resolved, backend: name });
  } catch (e) {
    // A bug (not a user error) in a backend: say which backend, keep the stack.
    if (e instanceof Error && (e as { userError?: unknown }).userError !== true && !e.message.startsWith('profiler backend')) {
      e.message = `profiler backend '${name}': ${e.message}`;
    }
    throw e;
  }
  checkMeasurement(name, m);
  // timeLoop reports Infinity while the CI is unbounded; JSON has no Infinity.
  if (m.relCI !== undefined && !Number.isFinite(m.relCI)) delete m.relCI;
  return m;
}

/** Loads the candidates (plug-ins on first use) and picks the first whose init works. */
async function backendFor(backends: string[]): Promise<{ name: string; backend: ProfilerBackend }> {
  const loadFailures = new Map<string, string>();
  for (const name of backends) {
    try {
      await ensureBackend(name);
    } catch (e) {
      if (backends.length === 1) throw e;
      loadFailures.set(name, (e as Error).message);
    }
  }
  return resolveBackend(backends, loadFailures);
}

/**
 * The backend `measure` would use with these options (loaded and initialised, so a missing one
 * fails now) and the extra metrics it declares.
 */
export async function profilerMetrics(opts: MeasureOptions = {}): Promise<{ backend: string; metrics: string[] }> {
  const { name, backend } = await backendFor(resolveOptions(opts).backends);
  return { backend: name, metrics: [...(backend.metrics ?? [])] };
}

/** Reads a model file, with its external data (weights in files beside it) inlined. */
export async function readModelFile(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfilerError(`${file}: cannot read the model (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  }
  return inlineExternalData(bytes, file);
}

const NUMBER_KEYS = ['p50Ms', 'p90Ms', 'meanMs', 'stdMs', 'runs'] as const;

/** A plug-in that returns a malformed result is a bug in the plug-in: say which one. */
function checkMeasurement(backend: string, m: Measurement): void {
  const bad = NUMBER_KEYS.filter((k) => typeof m?.[k] !== 'number' || !Number.isFinite(m[k]) || m[k] < 0);
  const extra = m?.metrics;
  const badExtra = extra !== undefined && (typeof extra !== 'object' || extra === null || Object.values(extra).some((v) => typeof v !== 'number'));
  if (bad.length > 0 || typeof m.backend !== 'string' || typeof m.device !== 'string' || badExtra) {
    const what = [...bad, ...(typeof m?.device !== 'string' ? ['device'] : []), ...(badExtra ? ['metrics'] : [])];
    throw new Error(`profiler backend '${backend}' returned a malformed measurement (bad: ${what.join(', ') || 'backend'}): ${JSON.stringify(m)}`);
  }
}
