import { firstLine, ProfilerError } from './errors';
import type { ProfilerBackend } from './types';

/**
 * Backend registry, modelled on onnxruntime-common's backend-impl.ts: registration checks
 * the object's shape; `init` runs lazily, once, and its failure is cached; when no backend
 * works, the error lists every backend's reason.
 */
interface Entry {
  backend: ProfilerBackend;
  priority: number;
  init?: Promise<void>;
  failure?: string;
}

const entries = new Map<string, Entry>();

/**
 * Registers `backend` under `name`. Registering the same object again is a no-op; another
 * object under a taken name is an error. A negative priority keeps the backend out of the
 * fallback order (it is only used when named).
 */
export function registerBackend(name: string, backend: ProfilerBackend, priority = 0): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('registerBackend: name must be a non-empty string');
  if (!backend || typeof backend.init !== 'function' || typeof backend.measure !== 'function') {
    throw new TypeError(`registerBackend('${name}'): not a valid profiler backend (needs init() and measure(model, opts))`);
  }
  if (backend.metrics !== undefined && !(Array.isArray(backend.metrics) && backend.metrics.every((m) => typeof m === 'string' && m !== ''))) {
    throw new TypeError(`registerBackend('${name}'): metrics must be a list of metric names`);
  }
  const current = entries.get(name);
  if (current) {
    if (current.backend === backend) return;
    throw new Error(`registerBackend: a backend named '${name}' is already registered`);
  }
  entries.set(name, { backend, priority });
}

export function isRegistered(name: string): boolean {
  return entries.has(name);
}

/** Registered backends, highest priority first, with the cached init failure if any. */
export function listBackends(): { name: string; priority: number; failure?: string }[] {
  return [...entries].map(([name, e]) => ({ name, priority: e.priority, failure: e.failure })).sort((a, b) => b.priority - a.priority);
}

async function tryInit(e: Entry): Promise<boolean> {
  if (e.failure !== undefined) return false;
  e.init ??= e.backend.init();
  try {
    await e.init;
    return true;
  } catch (err) {
    e.failure = firstLine(err instanceof Error ? err.message : String(err));
    return false;
  }
}

/**
 * The first backend of `names` (or, when empty, of the registered ones with priority >= 0,
 * highest first) whose init succeeds. Unknown names and failed inits are reported together.
 */
export async function resolveBackend(
  names: readonly string[] = [],
  /** Reasons known before init, e.g. a plug-in that failed to load. */
  known: ReadonlyMap<string, string> = new Map(),
): Promise<{ name: string; backend: ProfilerBackend }> {
  const order = names.length > 0 ? names : listBackends().filter((b) => b.priority >= 0).map((b) => b.name);
  const reasons: [string, string][] = [];
  for (const name of order) {
    const e = entries.get(name);
    if (known.has(name)) reasons.push([name, known.get(name) as string]);
    else if (!e) reasons.push([name, `unknown backend (registered: ${[...entries.keys()].join(', ') || 'none'})`]);
    else if (await tryInit(e)) return { name, backend: e.backend };
    else reasons.push([name, `unavailable: ${e.failure}`]);
  }
  if (reasons.length === 1) throw new ProfilerError(`profiler backend '${reasons[0][0]}': ${reasons[0][1]}`);
  throw new ProfilerError(`no profiler backend available: ${reasons.map(([n, r]) => `[${n}] ${r}`).join('; ') || 'none registered'}`);
}

/** For tests only: forget a backend (and its cached init). */
export function unregisterBackend(name: string): void {
  entries.delete(name);
}
