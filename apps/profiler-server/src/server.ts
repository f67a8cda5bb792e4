import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { measure as defaultMeasure, resolveOptions, type Measurement, type MeasureOptions } from '@marl-hpo/profiler';
import { SerialQueue } from './queue';
import { HttpError, requestOptions } from './request-options';
import { version } from '../package.json';

export interface ServerOptions {
  /** API token clients send as `Authorization: Bearer <token>`. */
  token: string;
  /** Largest model accepted, in bytes; default 64 MiB. */
  maxBytes?: number;
  /** Requests waiting behind the one being measured before new ones get 503; default 8. */
  maxQueue?: number;
  /** Upper bound of a client's maxSeconds; default 60. */
  maxSeconds?: number;
  /** Server-side defaults, including the backend that measures; default ort-cpu. */
  defaults?: MeasureOptions;
  /** The measuring function (tests inject a fake). */
  measure?: (model: Uint8Array, opts: MeasureOptions) => Promise<Measurement>;
  /** Where request errors are logged; default stderr. */
  log?: (line: string) => void;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The profiler server: `POST /measure` with the ONNX bytes as body (options in the query
 * string or the x-measure-options JSON header) answers the measurement as JSON; `GET /health`
 * needs no token. Models are measured one at a time so they do not disturb each other.
 */
export function createProfilerServer(opts: ServerOptions): http.Server {
  if (!opts.token) throw new Error('createProfilerServer: a token is required');
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const maxSeconds = opts.maxSeconds ?? 60;
  const defaults = opts.defaults ?? {};
  const measure = opts.measure ?? defaultMeasure;
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const queue = new SerialQueue(opts.maxQueue ?? 8);
  const backend = typeof defaults.backend === 'string' ? defaults.backend : (defaults.backend?.join('|') ?? 'ort-cpu');
  const expected = digest(opts.token);
  // Check the server's own defaults now, so a bad flag fails at start-up and not per request.
  resolveOptions(defaults, 'server');

  const authorized = (req: http.IncomingMessage) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1].trim()), expected);
  };

  async function handleMeasure(req: http.IncomingMessage, url: URL): Promise<Measurement> {
    if (!authorized(req)) throw new HttpError(401, 'missing or wrong API token (send Authorization: Bearer <token>)');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) throw new HttpError(413, `model of ${declared} bytes exceeds this server's limit of ${maxBytes} bytes`);
    const client = requestOptions(url, header(req, 'x-measure-options'));
    if ((client.maxSeconds ?? 0) > maxSeconds) throw new HttpError(400, `maxSeconds: this server allows at most ${maxSeconds}`);
    const merged: MeasureOptions = { ...defaults, ...client, source: 'request body' };
    try {
      resolveOptions(merged, 'request');
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const body = await readBody(req, maxBytes);
    if (body.length === 0) throw new HttpError(400, 'empty body: POST the ONNX model bytes');
    const queued = queue.push(async () => {
      if (req.socket.destroyed) throw new HttpError(499, 'client went away while queued');
      return measure(body, merged);
    });
    if (!queued) throw new HttpError(503, `busy: ${queue.length} models are queued; retry later`);
    return queued;
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/health') {
      if (req.method !== 'GET') return reply(405, { error: 'use GET /health' }, { allow: 'GET' });
      return reply(200, { ok: true, service: 'marl-hpo-profiler-server', version, backend, queue: queue.length, maxBytes });
    }
    if (url.pathname !== '/measure') return reply(404, { error: `no route ${url.pathname}; use POST /measure or GET /health` });
    if (req.method !== 'POST') return reply(405, { error: 'use POST /measure with the ONNX model as body' }, { allow: 'POST' });
    const started = Date.now();
    handleMeasure(req, url).then(
      (m) => {
        log(`measure ${req.socket.remoteAddress ?? '?'} 200 p50=${m.p50Ms.toFixed(3)}ms runs=${m.runs} in ${Date.now() - started}ms`);
        reply(200, m);
      },
      (e: unknown) => {
        const status = statusOf(e);
        const message = e instanceof Error ? e.message : String(e);
        log(`measure ${req.socket.remoteAddress ?? '?'} ${status} ${status === 500 && e instanceof Error ? e.stack : message}`);
        const headers: http.OutgoingHttpHeaders = status === 401 ? { 'www-authenticate': 'Bearer' } : status === 503 ? { 'retry-after': '5' } : {};
        if (req.complete) return reply(status, { error: message }, headers);
        // Body not read yet: drain a small one so the client sees the answer; cut off a huge one.
        if (Number(req.headers['content-length'] ?? Infinity) <= maxBytes) {
          req.on('end', () => reply(status, { error: message }, headers));
          req.resume();
        } else {
          reply(status, { error: message }, { ...headers, connection: 'close' });
          req.resume();
        }
      },
    );
  });
}

function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if ((e as { userError?: unknown }).userError !== true) return 500;
  return (e as Error).name === 'InvalidModelError' ? 422 : 400;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        reject(new HttpError(413, `model exceeds this server's limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
