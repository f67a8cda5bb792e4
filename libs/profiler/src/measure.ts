import { readFile } from 'node:fs/promises';
import { ProfilerError } from './errors';
import { resolveOptions } from './options';
import { ensureBackend } from './plugins';
import { resolveBackend } from './registry';
import type { Measurement, MeasureOptions } from './types';
import './builtins';

/**
 * Measures the latency of an ONNX model (bytes, or a file path) on the backend named in
 * `opts.backend` (default 'ort-cpu'); plug-in packages are loaded on first use.
 */
export async function measure(model: Uint8Array | string, opts: MeasureOptions = {}): Promise<Measurement> {
  const resolved = resolveOptions(typeof model === 'string' ? { source: model, ...opts } : opts);
  const bytes = typeof model === 'string' ? await readModelFile(model) : model;
  const loadFailures = new Map<string, string>();
  for (const name of resolved.backends) {
    try {
      await ensureBackend(name);
    } catch (e) {
      if (resolved.backends.length === 1) throw e;
      loadFailures.set(name, (e as Error).message);
    }
  }
  const { name, backend } = await resolveBackend(resolved.backends, loadFailures);
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

export async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfilerError(`${file}: cannot read the model (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  }
}

const NUMBER_KEYS = ['p50Ms', 'p90Ms', 'meanMs', 'stdMs', 'runs'] as const;

/** A plug-in that returns a malformed result is a bug in the plug-in: say which one. */
function checkMeasurement(backend: string, m: Measurement): void {
  const bad = NUMBER_KEYS.filter((k) => typeof m?.[k] !== 'number' || !Number.isFinite(m[k]) || m[k] < 0);
  if (bad.length > 0 || typeof m.backend !== 'string' || typeof m.device !== 'string') {
    throw new Error(`profiler backend '${backend}' returned a malformed measurement (bad: ${[...bad, ...(typeof m?.device !== 'string' ? ['device'] : [])].join(', ') || 'backend'}): ${JSON.stringify(m)}`);
  }
}
