import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { measure, type Measurement, type MeasureOptions } from '@marl-hpo/profiler';
import { createProfilerServer, type ServerOptions } from './server';

/** A small CNN written by the profiler lib's python onnx fixture script. */
function cnnModel(): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-server-test-'));
  const spec = [{ name: 'cnn', input: [3, 16, 16], layers: [{ op: 'conv', out: 8, k: 3, pad: 1 }, { op: 'relu' }, { op: 'gap' }, { op: 'flatten' }, { op: 'gemm', out: 10 }] }];
  writeFileSync(path.join(dir, 'specs.json'), JSON.stringify(spec));
  execFileSync('/usr/bin/python3', [path.join(__dirname, '../../../libs/profiler/testdata/make_models.py'), dir, path.join(dir, 'specs.json')]);
  return readFileSync(path.join(dir, 'cnn.onnx'));
}

const TOKEN = 'test-token-123';
const FAST = { warmup: 1, minRuns: 5, maxRuns: 20, maxSeconds: 2 };
const fakeResult: Measurement = { p50Ms: 1, p90Ms: 2, meanMs: 1.5, stdMs: 0.1, runs: 5, backend: 'fake', device: 'fake device' };

async function start(opts: Partial<ServerOptions> = {}): Promise<{ server: http.Server; url: string }> {
  const server = createProfilerServer({ token: TOKEN, log: () => undefined, ...opts });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const stop = (s: http.Server) => new Promise((resolve) => s.close(resolve));
const post = (url: string, body: Uint8Array, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
  fetch(`${url}/measure`, { method: 'POST', body, headers });

describe('profiler server with the remote backend', () => {
  const cnn = cnnModel();
  const remote = (url: string, extra: MeasureOptions = {}) => measure(cnn, { backend: 'remote', url, token: TOKEN, ...FAST, ...extra });

  it('measures a model posted by the remote backend with onnxruntime, ops included', async () => {
    const { server, url } = await start();
    try {
      const m = await remote(url, { ops: true, batch: 2 });
      expect(m.backend).toBe('remote');
      expect(m.device).toContain(`ort-cpu at ${url}`);
      expect(m.runs).toBeGreaterThanOrEqual(5);
      expect(m.p90Ms).toBeGreaterThanOrEqual(m.p50Ms);
      expect(m.ops?.map((o) => o.opType)).toContain('Gemm');
      const health = await (await fetch(`${url}/health`)).json();
      expect(health).toMatchObject({ ok: true, backend: 'ort-cpu', queue: 0 });
    } finally {
      await stop(server);
    }
  });

  it('answers a bad model with 422, bad options with 400, an empty body with 400', async () => {
    const { server, url } = await start();
    try {
      await expect(measure(new TextEncoder().encode('not onnx'), { backend: 'remote', url, token: TOKEN })).rejects.toMatchObject({
        userError: true,
        message: expect.stringMatching(new RegExp(`^profiler server ${url}: 422 request body: not a valid ONNX model`)),
      });
      const r1 = await fetch(`${url}/measure?threads=abc`, { method: 'POST', body: cnn, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r1.status).toBe(400);
      expect(((await r1.json()) as { error: string }).error).toContain('request.threads');
      const r2 = await post(url, cnn, { authorization: `Bearer ${TOKEN}`, 'x-measure-options': '{"backend":"estimate"}' });
      expect(r2.status).toBe(400);
      expect(((await r2.json()) as { error: string }).error).toContain("option 'backend' cannot be set by a client");
      const r3 = await post(url, new Uint8Array(0));
      expect(r3.status).toBe(400);
      expect(((await r3.json()) as { error: string }).error).toContain('empty body');
    } finally {
      await stop(server);
    }
  });

  it('rejects a wrong or missing token with 401, and the client names the URL', async () => {
    const { server, url } = await start({ measure: async () => fakeResult });
    try {
      await expect(remote(url, { token: 'wrong' })).rejects.toMatchObject({
        userError: true,
        message: `profiler server ${url}: rejected the API token (401); check profiler.token (--token) or MARL_HPO_PROFILER_TOKEN`,
      });
      const r = await post(url, cnn, {});
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    } finally {
      await stop(server);
    }
  });

  it('limits the request size with 413', async () => {
    const { server, url } = await start({ maxBytes: 1000, measure: async () => fakeResult });
    try {
      await expect(remote(url)).rejects.toMatchObject({ userError: true, message: expect.stringContaining(`profiler server ${url}: 413 model of ${cnn.length} bytes exceeds`) });
    } finally {
      await stop(server);
    }
  });

  it('measures one model at a time, in order, and answers 503 when the queue is full', async () => {
    let running = 0;
    let most = 0;
    const order: number[] = [];
    // Measurements wait for the test to let them go, so the queue state does not depend on timing.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const heldFake = async (model: Uint8Array) => {
      running++;
      most = Math.max(most, running);
      await gate;
      order.push(model[0]);
      running--;
      return fakeResult;
    };
    const { server, url } = await start({ measure: heldFake, maxQueue: 2 });
    const queued = async () => ((await (await fetch(`${url}/health`)).json()) as { queue: number }).queue;
    try {
      // One at a time, each seen by the server before the next, so arrival order is known.
      const pending: Promise<Response>[] = [];
      for (const [id, length] of [[1, 1], [2, 2], [3, 3]]) {
        pending.push(post(url, new Uint8Array([id, 0, 0])));
        while ((await queued()) < length) await new Promise((r) => setTimeout(r, 5));
      }
      // One measuring and two waiting: the fourth is refused at once.
      expect((await post(url, new Uint8Array([4, 0, 0]))).status).toBe(503);
      release();
      const statuses = (await Promise.all(pending)).map((r) => r.status);
      expect(most).toBe(1);
      expect(statuses).toEqual([200, 200, 200]);
      expect(order).toEqual([1, 2, 3]);
    } finally {
      release();
      await stop(server);
    }
  });

  it('reports a server that is down or too slow as user errors naming the URL', async () => {
    const { server, url } = await start({ measure: () => new Promise((r) => setTimeout(() => r(fakeResult), 1500)) });
    try {
      await expect(remote(url, { timeoutMs: 200 })).rejects.toMatchObject({ userError: true, message: `profiler server ${url}: no answer within 200 ms (profiler.timeoutMs); the server may be busy or hung` });
    } finally {
      server.closeAllConnections();
      await stop(server);
    }
    await expect(remote(url)).rejects.toMatchObject({ userError: true, message: `profiler server ${url}: connection refused; is the profiler server running on that host and port?` });
    await expect(measure(cnn, { backend: 'remote', token: TOKEN })).rejects.toMatchObject({ userError: true, message: expect.stringContaining('needs profiler.url') });
  });
});
