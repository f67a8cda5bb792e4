import { RemoteProfilerError } from '../errors';
import type { Measurement, MeasureOptions, ProfilerBackend, ResolvedMeasureOptions } from '../types';

export const TOKEN_ENV = 'MARL_HPO_PROFILER_TOKEN';

/** Options a client may send to apps/profiler-server; the server picks its own backend. */
export const REMOTE_OPTION_KEYS = [
  'threads',
  'interOpThreads',
  'batch',
  'warmup',
  'minRuns',
  'maxRuns',
  'maxSeconds',
  'targetRelCI',
  'graphOptimizationLevel',
  'executionProviders',
  'ops',
  'seed',
] as const satisfies readonly (keyof MeasureOptions)[];

/** Header carrying the options as JSON (query parameters work too). */
export const OPTIONS_HEADER = 'x-measure-options';

function endpoint(url: string, route: string): URL {
  return new URL(route, url.endsWith('/') ? url : `${url}/`);
}

/** Posts the model to a profiler server (apps/profiler-server) and returns its measurement. */
export function createRemoteBackend(): ProfilerBackend {
  return {
    async init() {
      if (typeof fetch !== 'function') throw new Error('this Node.js has no fetch(); use Node.js 20 or later');
    },
    measure: measureRemote,
  };
}

async function measureRemote(model: Uint8Array, opts: ResolvedMeasureOptions): Promise<Measurement> {
  const url = opts.url;
  if (!url) throw new RemoteProfilerError('(none)', "the 'remote' backend needs profiler.url (--url), e.g. http://board.local:8410");
  const token = opts.token ?? process.env[TOKEN_ENV];
  if (!token) throw new RemoteProfilerError(url, `no API token: set profiler.token (--token) or the ${TOKEN_ENV} environment variable`);
  const sent = Object.fromEntries(REMOTE_OPTION_KEYS.map((k) => [k, opts[k]]));
  let res: Response;
  try {
    res = await fetch(endpoint(url, 'measure'), {
      method: 'POST',
      body: model,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', [OPTIONS_HEADER]: JSON.stringify(sent) },
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    throw new RemoteProfilerError(url, describeFetchError(e, opts.timeoutMs));
  }
  let body: unknown;
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : undefined;
  } catch (e) {
    const err = e as Error;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new RemoteProfilerError(url, describeFetchError(e, opts.timeoutMs));
    throw new RemoteProfilerError(url, `answered ${res.status} with a body that is not JSON; is this a marl-hpo profiler server?`, res.status);
  }
  const said = (body as { error?: unknown } | undefined)?.error;
  if (res.status === 401 || res.status === 403) {
    throw new RemoteProfilerError(url, `rejected the API token (${res.status}); check profiler.token (--token) or ${TOKEN_ENV}`, res.status);
  }
  if (!res.ok) throw new RemoteProfilerError(url, `${res.status} ${typeof said === 'string' ? said : res.statusText}`, res.status);
  const m = body as Measurement;
  if (typeof m?.p50Ms !== 'number' || typeof m.device !== 'string') {
    throw new RemoteProfilerError(url, 'answered without a measurement; is this a marl-hpo profiler server?', res.status);
  }
  return { ...m, backend: opts.backend, device: `${m.device} [${m.backend} at ${url}]` };
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms (profiler.timeoutMs); the server may be busy or hung`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused; is the profiler server running on that host and port?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the server closed the connection';
  return err.cause?.message ?? err.message;
}

/** Reads a server's /health (no token needed). */
export async function remoteHealth(url: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(endpoint(url, 'health'), { signal: AbortSignal.timeout(timeoutMs) });
    return (await res.json()) as Record<string, unknown>;
  } catch (e) {
    throw new RemoteProfilerError(url, describeFetchError(e, timeoutMs));
  }
}
