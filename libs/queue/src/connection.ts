import fs from 'node:fs';
import type { RedisOptions } from 'bullmq';
import IORedis from 'ioredis';

/** Redis unreachable, refused the credentials, or a bad URL/TLS file: the message names the URL (password hidden). */
export class QueueConnectionError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'QueueConnectionError';
  }
}

/** Where the queue lives: `redis[s]://[user[:password]@]host[:port][/db][?queue=name]`. */
export interface QueueConnectionOptions {
  url: string;
  /** Overrides the URL's password (keeps it out of `ps` and shell history). */
  password?: string;
  /** TLS (implied by rediss://): PEM contents of the CA, and of a client certificate and key for mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Seconds to wait for the first connection before giving up (default 5). */
  connectTimeoutSeconds?: number;
}

/** A parsed queue location: ioredis options, the queue name and a printable URL. */
export interface QueueLocation {
  redis: RedisOptions;
  queue: string;
  /** Key prefix of every BullMQ key, so a shared Redis keeps marl-hpo apart. */
  prefix: string;
  /** The URL with the password replaced by ***, for messages. */
  display: string;
}

export const DEFAULT_QUEUE = 'evaluations';
const PREFIX = 'marl-hpo';

/**
 * Connection settings from the environment, shared by the coordinator and the workers:
 * MARL_HPO_REDIS_PASSWORD, and MARL_HPO_REDIS_CA / _CERT / _KEY (PEM files) for TLS.
 */
export function queueConnectionFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): QueueConnectionOptions {
  const pem = (name: string) => {
    const file = env[name];
    if (!file) return undefined;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new QueueConnectionError(`${name}=${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const ca = pem('MARL_HPO_REDIS_CA');
  const cert = pem('MARL_HPO_REDIS_CERT');
  const key = pem('MARL_HPO_REDIS_KEY');
  return { url, password: env['MARL_HPO_REDIS_PASSWORD'] || undefined, tls: ca || cert || key ? { ca, cert, key } : undefined };
}

/** Parses the URL; a malformed one is a user error naming it. */
export function parseQueueUrl(opts: QueueConnectionOptions): QueueLocation {
  let u: URL;
  try {
    u = new URL(opts.url);
  } catch {
    throw new QueueConnectionError(`--queue ${opts.url}: not a URL (expected redis://host:6379/0 or rediss://...)`);
  }
  const display = u.password ? opts.url.replace(`:${u.password}@`, ':***@') : opts.url;
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueConnectionError(`--queue ${display}: expected a redis:// or rediss:// URL`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new QueueConnectionError(`--queue ${display}: the path must be a database number, got '/${db}'`);
  const queue = u.searchParams.get('queue') ?? DEFAULT_QUEUE;
  if (!/^[\w.-]+$/.test(queue)) throw new QueueConnectionError(`--queue ${display}: queue name '${queue}' may only hold letters, digits, '.', '_' and '-'`);
  const tls = u.protocol === 'rediss:' || opts.tls ? { ...(opts.tls ?? {}) } : undefined;
  const redis: RedisOptions = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db: db ? Number(db) : 0,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: opts.password ?? (u.password ? decodeURIComponent(u.password) : undefined),
    tls,
    connectTimeout: (opts.connectTimeoutSeconds ?? 5) * 1000,
  };
  return { redis, queue, prefix: PREFIX, display };
}

/**
 * A coordinator's connections reconnect for about a minute (1, 2, 3, 4, then 5 s apart), then
 * fail their commands: the search stops with a user error and --resume continues it later.
 * (Workers keep BullMQ's default: reconnect forever.)
 */
export function coordinatorRedis(loc: QueueLocation): RedisOptions {
  return { ...loc.redis, retryStrategy: (times: number) => Math.min(1000 * times, 5000), maxRetriesPerRequest: 15 };
}

/**
 * Checks the connection once without retrying, so an unreachable Redis or wrong credentials
 * fail in seconds with the reason (ioredis alone would reconnect forever); then returns a
 * client with `options` (reconnection policy) for the rest of the run.
 */
export async function connectRedis(loc: QueueLocation, options: RedisOptions): Promise<IORedis> {
  const probe = new IORedis({ ...loc.redis, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  let cause: Error | undefined;
  probe.on('error', (e: Error) => (cause ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    // No disconnect(): on a connection that never opened it holds the process for 2 s.
    if (probe.status === 'ready') probe.disconnect();
    const why = (cause ?? (e as Error)).message.split('\n')[0];
    throw new QueueConnectionError(`--queue ${loc.display}: cannot connect to Redis (${why})`);
  }
  probe.disconnect();
  const client = new IORedis({ ...loc.redis, ...options });
  client.on('error', () => undefined); // reconnects are automatic; commands that still fail reject
  return client;
}
