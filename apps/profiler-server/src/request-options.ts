import { OPTIONS_HEADER, REMOTE_OPTION_KEYS, type MeasureOptions } from '@marl-hpo/profiler';

/** A request the server refuses before measuring; `status` is the HTTP status to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ALLOWED = new Set<string>(REMOTE_OPTION_KEYS);
const NUMERIC = new Set<string>(['threads', 'interOpThreads', 'batch', 'warmup', 'minRuns', 'maxRuns', 'maxSeconds', 'targetRelCI', 'seed']);

function fromQuery(key: string, value: string): unknown {
  if (NUMERIC.has(key)) return value.trim() === '' ? value : Number(value);
  if (key === 'ops') return value === '' || value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value;
  if (key === 'executionProviders') return value.split(',').map((s) => s.trim());
  return value;
}

/** Client options from the query string and the JSON options header (the header wins). */
export function requestOptions(url: URL, header: string | undefined): MeasureOptions {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) opts[k] = fromQuery(k, v);
  if (header !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(header);
    } catch {
      throw new HttpError(400, `${OPTIONS_HEADER}: header is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, `${OPTIONS_HEADER}: expected a JSON object`);
    Object.assign(opts, parsed);
  }
  for (const k of Object.keys(opts)) {
    if (!ALLOWED.has(k)) throw new HttpError(400, `option '${k}' cannot be set by a client (allowed: ${[...ALLOWED].join(', ')})`);
    if (opts[k] === undefined || opts[k] === null) delete opts[k];
  }
  return opts as MeasureOptions;
}
