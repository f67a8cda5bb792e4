import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueEvaluator, startQueueWorker } from '@marl-hpo/queue';
import {
  createLocalEvaluator,
  parseConfig,
  runSearch,
  type EvalJob,
  type EvalOutcome,
  type EvaluationRecord,
  type Evaluator,
  type SearchConfig,
} from '@marl-hpo/search';
import { cli, fileWriter, journal } from './cli-helpers';
import { CliProcess, freePort, startRedis, stopProcess, type RedisServer } from './queue-helpers';

// Distributed evaluation driven as a user would: Debian's redis-server on a loopback port, a
// coordinator (`search --queue`) and `marl-hpo worker` processes with the synthetic evaluator.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-e2e-'));
const PASSWORD = 'e2e-secret';
let redis: RedisServer;
const running: CliProcess[] = [];

const base = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 12 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 1_000_000 }],
  seed: 11,
  synthetic: { sleepSeconds: 0.3 },
};
const write = fileWriter(dir);
const comparable = (records: EvaluationRecord[]) => records.map(({ time: _t, timings: _s, ...r }) => r);
const agents = (out: string) => fs.readFileSync(path.join(out, 'agents.json'), 'utf8');
/** Records whose configuration went to the evaluator (not cached, not rejected by the static cost check): the budget counts these. */
const evaluated = (records: EvaluationRecord[]) => records.filter((r) => r.cachedFrom === undefined && !r.skipped);

const worker = (...extra: string[]) => {
  const w = new CliProcess(['worker', '--queue', redis.url, '--lock-seconds', '1', '--json', ...extra]);
  running.push(w);
  return w;
};
const coordinator = (config: string, out: string, ...extra: string[]) => {
  const c = new CliProcess(['search', '--config', config, '--out', out, '--queue', redis.url, '--json', ...extra]);
  running.push(c);
  return c;
};
type Line = Record<string, unknown>;
const completedJobs = (...ws: CliProcess[]) => ws.flatMap((w) => w.lines.filter((l) => l.type === 'completed' && l.kind === 'evaluate').map((l) => l.job as string));

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  await redis?.stop();
});

test('--in-flight 1, two workers, one SIGKILLed mid-job: its job is retried on the other, each evaluation is journaled once, and the run equals a single-process one', async () => {
  const config = write('k1.json', base);
  const ref = path.join(dir, 'ref');
  expect(cli(['search', '--config', config, '--out', ref, '--json']).code).toBe(0);

  const a = worker();
  await a.waitFor((l) => l.type === 'ready');
  const out = path.join(dir, 'k1');
  const c = coordinator(config, out, '--in-flight', '1');
  await a.waitFor((l) => l.type === 'completed' && l.kind === 'evaluate');
  const b = worker();
  await b.waitFor((l) => l.type === 'ready');
  // Kill A in the middle of the job it starts next (each takes 0.3 s).
  const from = a.lines.length;
  const victim = await a.waitFor((l) => l.type === 'started' && a.lines.indexOf(l) >= from);
  if (!a.lines.some((l) => l.type === 'completed' && l.job === victim.job)) await a.stop('SIGKILL');
  expect(a.lines.some((l) => l.type === 'completed' && l.job === victim.job)).toBe(false);

  expect((await c.exited).code).toBe(0);
  expect(comparable(journal(out))).toEqual(comparable(journal(ref)));
  expect(agents(out)).toBe(agents(ref));
  // The killed job went back to the queue after the stall timeout and B finished it.
  const retried = b.lines.find((l: Line) => l.type === 'completed' && l.job === victim.job);
  expect(retried?.attempt).toBe(2);
  const done = completedJobs(a, b);
  expect(new Set(done).size).toBe(done.length);
  expect(done).toHaveLength(evaluated(journal(out)).length);
  await b.stop();
}, 60_000);

test('coordinator SIGKILLed with a job running: --resume re-attaches and collects it without evaluating it again', async () => {
  const config = write('k1.json', base);
  const ref = path.join(dir, 'ref');
  const w = worker();
  await w.waitFor((l) => l.type === 'ready');
  const out = path.join(dir, 'coordinator-killed');
  const c = coordinator(config, out, '--in-flight', '1');
  const victim = await w.waitFor((l) => l.type === 'started' && l.kind === 'evaluate' && (l.proposal as number) >= 4);
  await c.stop('SIGKILL');
  const before = journal(out).length;
  // The job finishes while no coordinator listens; its result waits in Redis.
  await w.waitFor((l) => l.type === 'completed' && l.job === victim.job);

  const resumed = coordinator(config, out, '--in-flight', '1', '--resume');
  expect((await resumed.exited).code).toBe(0);
  expect(journal(out).length).toBeGreaterThan(before);
  expect(comparable(journal(out))).toEqual(comparable(journal(ref)));
  expect(agents(out)).toBe(agents(ref));
  expect(w.lines.filter((l) => l.type === 'started' && l.job === victim.job)).toHaveLength(1);
  const done = completedJobs(w);
  expect(new Set(done).size).toBe(done.length);
  expect(done).toHaveLength(evaluated(journal(out)).length);
  await w.stop();
}, 60_000);

test('a job failing every attempt is journaled once as failed and the search goes on (--in-flight 2, password from the environment)', async () => {
  const config = write('fail.json', { ...base, budget: { episodes: 10 }, synthetic: { sleepSeconds: 0.05, failEvery: 3 } });
  const url = redis.url.replace(`:${PASSWORD}@`, '');
  const w = new CliProcess(['worker', '--queue', url, '--json'], { MARL_HPO_REDIS_PASSWORD: PASSWORD });
  running.push(w);
  await w.waitFor((l) => l.type === 'ready');
  const out = path.join(dir, 'failing');
  const c = new CliProcess(['search', '--config', config, '--out', out, '--queue', url, '--in-flight', '2', '--json'], { MARL_HPO_REDIS_PASSWORD: PASSWORD });
  running.push(c);
  expect((await c.exited).code).toBe(0);
  const records = journal(out);
  expect(records.map((r) => r.episode)).toEqual([...Array(records.length).keys()]);
  expect(evaluated(records)).toHaveLength(10);
  const failed = records.filter((r) => r.status === 'failed');
  expect(failed.length).toBeGreaterThan(0);
  for (const r of failed) expect(r.error).toMatch(/^synthetic failure .* \(queue job \S+, 2 attempts\)$/);
  expect(records.some((r) => r.status === 'ok')).toBe(true);
  // Each failing job ran twice (the default 2 attempts), each other one once.
  const starts = new Map<string, number>();
  for (const l of w.lines) if (l.type === 'started' && l.kind === 'evaluate') starts.set(l.job as string, (starts.get(l.job as string) ?? 0) + 1);
  expect([...starts.values()].filter((n) => n === 2)).toHaveLength(failed.length);
  expect(starts.size).toBe(evaluated(records).length);
  await w.stop();
}, 60_000);

test('a metric nothing produces: the coordinator exits 2 naming the field once a worker has said what it produces', async () => {
  const config = write('typo.json', { ...base, constraints: [{ metric: 'param', max: 1_000_000 }] });
  const w = worker();
  await w.waitFor((l) => l.type === 'ready');
  const out = path.join(dir, 'typo');
  const c = coordinator(config, out);
  expect((await c.exited).code).toBe(2);
  expect(c.stderr.trim()).toMatch(/^marl-hpo: constraints\[0\]\.metric: 'param' is not produced \(did you mean 'params'\? metrics: accuracy, loss, latencyMs, trainSeconds, onnxBytes, params, macs\)$/);
  expect(journal(out)).toHaveLength(0);
  expect(w.lines.some((l) => l.kind === 'evaluate')).toBe(false);
  await w.stop();
}, 60_000);

/** Resolves once `pred` holds (checked every 100 ms); rejects after `seconds` with `what` and the text it looked at. */
async function until(pred: () => boolean, what: () => string, seconds = 60): Promise<void> {
  for (const end = Date.now() + seconds * 1000; !pred(); ) {
    if (Date.now() > end) throw new Error(`timed out; ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a coordinator says what it waits for (stderr not a terminal): a worker to take its jobs, Redis to come back', async () => {
  // A Redis of its own on a fixed port, persisting every write, so it can be stopped and started again with its data.
  const port = await freePort();
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-aof-'));
  const startServer = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', data], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d) && out.includes('Ready to accept connections') && resolve(child));
      child.on('exit', () => reject(new Error(`redis-server exited: ${out}`)));
    });
  let server = await startServer();
  const url = `redis://127.0.0.1:${port}/0`;
  const out = path.join(dir, 'waits');
  const c = new CliProcess(['search', '--config', write('waits.json', { ...base, budget: { episodes: 8 }, synthetic: { sleepSeconds: 0.2 } }), '--out', out, '--queue', url, '--json']);
  running.push(c);
  try {
    await until(() => /^marl-hpo: waiting for a worker: 1 job waits on redis:\/\/127\.0\.0\.1:\d+\/0 and none was taken for \d+ s \(start one with: marl-hpo worker --queue <url>\)$/m.test(c.stderr), () => c.stderr);
    // A worker without --json: one plain line per job on stderr.
    const w = new CliProcess(['worker', '--queue', url, '--lock-seconds', '1']);
    running.push(w);
    await c.waitFor((l) => l.type === 'episode' && (l.done as number) >= 2);
    await stopProcess(server);
    await until(() => /^marl-hpo: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+\/0: waiting for it to come back/m.test(c.stderr), () => c.stderr);
    server = await startServer();
    await until(() => /^marl-hpo: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is back$/m.test(c.stderr), () => c.stderr);
    expect((await c.exited).code).toBe(0);
    expect(evaluated(journal(out))).toHaveLength(8);
    expect(w.stderr).toMatch(/^worker \S+: ready$/m);
    expect(w.stderr).toMatch(/^proposal \d+: started$/m);
    expect(w.stderr).toMatch(/^proposal \d+: done in [\d.]+ s$/m);
    await w.stop();
  } finally {
    await stopProcess(server);
  }
}, 120_000);

/** A single FIFO server: evaluations run one at a time in dispatch order, as one queue worker runs them. */
class Fifo implements Evaluator {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(private readonly inner: Evaluator) {}
  prepare = () => this.inner.prepare();
  evaluate(job: EvalJob, signal: AbortSignal): Promise<EvalOutcome> {
    const r = this.tail.then(() => this.inner.evaluate(job, signal));
    this.tail = r.catch(() => undefined);
    return r;
  }
  close = () => this.inner.close();
}

test('results arriving in order keep MARL deterministic: 3 in flight on the queue equal 3 in flight on a local FIFO evaluator', async () => {
  const config: SearchConfig = parseConfig({ ...base, budget: { episodes: 16 }, synthetic: { sleepSeconds: 0.03 } });
  const ref = path.join(dir, 'fifo-ref');
  const local = new Fifo(createLocalEvaluator(config));
  await runSearch(config, { out: ref, workers: 3, evaluator: local });

  const w = await startQueueWorker({ connection: { url: redis.url }, concurrency: 1 });
  const out = path.join(dir, 'fifo-queue');
  const q = new QueueEvaluator({ connection: { url: redis.url }, config, out });
  try {
    await runSearch(config, { out, workers: 3, evaluator: q });
  } finally {
    await q.close();
    await w.close();
  }
  const records = journal(out);
  expect(evaluated(records)).toHaveLength(16);
  expect(comparable(records)).toEqual(comparable(journal(ref)));
  expect(agents(out)).toBe(agents(ref));
  // Several evaluations really were in flight at once on the queue.
  expect(records.filter((r) => (r.timings.queue ?? 0) > 0.02).length).toBeGreaterThan(0);
}, 60_000);

test.each([
  ['unreachable Redis', () => ['search', '--config', write('ok.json', base), '--out', path.join(dir, 'x'), '--queue', 'redis://127.0.0.1:1/0'], /^marl-hpo: --queue redis:\/\/127\.0\.0\.1:1\/0: cannot connect to Redis \(connect ECONNREFUSED/],
  ['wrong password (hidden)', () => ['worker', '--queue', redis.url.replace(PASSWORD, 'wrong')], /^marl-hpo: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: cannot connect to Redis \(WRONGPASS/],
  ['no password', () => ['worker', '--queue', redis.url.replace(`:${PASSWORD}@`, '')], /cannot connect to Redis \(NOAUTH/],
  ['not a redis URL', () => ['worker', '--queue', 'http://localhost:6379'], /^marl-hpo: --queue http:\/\/localhost:6379: expected a redis:\/\/ or rediss:\/\/ URL\n?$/],
  ['--workers with --queue', () => ['search', '--config', write('ok.json', base), '--queue', redis.url, '--workers', '2'], /--workers and --queue exclude each other/],
  ['--in-flight without --queue', () => ['search', '--config', write('ok.json', base), '--in-flight', '2'], /--in-flight needs --queue/],
  ['worker without --queue', () => ['worker'], /--queue <redis-url> is required/],
])('bad input (%s): one line, exit 2', (_name, args, message) => {
  const r = cli(args(), { timeout: 30_000 });
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
});

test('TLS: rediss:// with the CA from MARL_HPO_REDIS_CA; without it the self-signed server is refused', async () => {
  const tls = path.join(dir, 'tls');
  fs.mkdirSync(tls);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tls, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=marl-hpo test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(path.join(tls, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const server = await startRedis({
    password: PASSWORD,
    scheme: 'rediss',
    args: () => ['--port', '0', '--tls-port', '{port}', '--tls-cert-file', path.join(tls, 'server.pem'), '--tls-key-file', path.join(tls, 'server.key'), '--tls-ca-cert-file', path.join(tls, 'ca.pem'), '--tls-auth-clients', 'no'],
  });
  try {
    const refused = cli(['worker', '--queue', server.url], { timeout: 30_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^marl-hpo: --queue rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: cannot connect to Redis \(self[- ]signed certificate/);

    const env = { MARL_HPO_REDIS_CA: path.join(tls, 'ca.pem') };
    const w = new CliProcess(['worker', '--queue', server.url, '--json'], env);
    running.push(w);
    await w.waitFor((l) => l.type === 'ready');
    const out = path.join(dir, 'tls-run');
    const c = new CliProcess(['search', '--config', write('tls.json', { ...base, budget: { episodes: 4 }, synthetic: { sleepSeconds: 0.01 } }), '--out', out, '--queue', server.url, '--json'], env);
    running.push(c);
    expect((await c.exited).code).toBe(0);
    expect(evaluated(journal(out))).toHaveLength(4);
    await w.stop();
  } finally {
    await server.stop();
  }
}, 60_000);

test('marl-hpo worker trains with the torch backend for a coordinator; a command trainer failing on a worker reaches the journal with its stderr lines', async () => {
  const w = worker();
  await w.waitFor((l) => l.type === 'ready');
  const real = { ...base, synthetic: undefined, dataset: { spec: 'builtin:mnist', limit: { train: 100, val: 30 } }, templateOptions: { batchNorm: true }, constraints: [{ metric: 'params', max: 150_000 }] };

  const torchOut = path.join(dir, 'torch');
  const t = coordinator(write('torch.json', { ...real, budget: { episodes: 2 }, trainer: { backend: 'torch', epochs: 1 } }), torchOut);
  expect((await t.exited).code).toBe(0);
  const trained = evaluated(journal(torchOut));
  expect(trained.map((r) => r.status)).toEqual(['ok', 'ok']);
  expect(JSON.parse(cli(['onnx', 'inspect', path.join(torchOut, 'best.onnx'), '--json']).stdout).producerName).toBe('pytorch');

  const commandOut = path.join(dir, 'command');
  const fake = path.join(__dirname, 'fixtures/command-trainer.py');
  const c = coordinator(write('command.json', { ...real, constraints: [], budget: { episodes: 2 }, trainer: { backend: 'command', command: ['/usr/bin/python3', fake, 'ok,fail'] } }), commandOut);
  expect((await c.exited).code).toBe(0);
  const [ok, failed] = evaluated(journal(commandOut));
  expect(ok.status).toBe('ok');
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatch(/^trainer command exited with code 3 \(queue job \S+, 2 attempts\)$/);
  expect(failed.log).toEqual(['fake trainer: proposal 1 mode fail', 'RuntimeError: CUDA out of memory (pretend)']);
  await w.stop();
}, 240_000);
