import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TOKEN_ENV } from '@marl-hpo/profiler';
import { createProfilerServer } from './server';

const USAGE = `Usage: marl-hpo-profiler-server [--port 8410] [--host 127.0.0.1] [--token-file <file>]
       [--backend ort-cpu] [--threads 1] [--max-mb 64] [--max-queue 8] [--max-seconds 60]

Measures ONNX models posted to POST /measure on this machine. The API token is read from
--token-file or the ${TOKEN_ENV} environment variable. Use --host 0.0.0.0 to accept other machines.`;

/** One-line errors for bad flags: exit 2, like the marl-hpo CLI. */
function fail(message: string): never {
  process.stderr.write(`marl-hpo-profiler-server: ${message}\n`);
  process.exit(2);
}

function int(values: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name}: expected an integer >= ${min}, got '${String(raw)}'`);
  return n;
}

export function main(argv: string[]): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'token-file': { type: 'string' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        'max-mb': { type: 'string' },
        'max-queue': { type: 'string' },
        'max-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  let token = process.env[TOKEN_ENV];
  if (typeof values['token-file'] === 'string') {
    try {
      token = readFileSync(values['token-file'], 'utf8').trim();
    } catch (e) {
      fail(`--token-file ${values['token-file']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (!token) fail(`no API token: pass --token-file <file> or set ${TOKEN_ENV} (e.g. openssl rand -hex 32)`);
  const port = int(values, 'port', 8410, 0);
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  const backend = typeof values.backend === 'string' ? values.backend : 'ort-cpu';
  if (backend === 'remote') fail('--backend: the server cannot forward to another server');
  let server;
  try {
    server = createProfilerServer({
      token,
      maxBytes: int(values, 'max-mb', 64) * 1024 * 1024,
      maxQueue: int(values, 'max-queue', 8, 0),
      maxSeconds: int(values, 'max-seconds', 60),
      defaults: { backend, threads: int(values, 'threads', 1) },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  server.on('error', (e: NodeJS.ErrnoException) => fail(`cannot listen on ${host}:${port}: ${e.code ?? e.message}`));
  server.listen(port, host, () => {
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    process.stderr.write(`marl-hpo-profiler-server: listening on http://${host}:${actual} (backend ${backend})\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) main(process.argv.slice(2));
