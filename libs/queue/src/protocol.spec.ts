import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '@marl-hpo/search';
import { parseQueueUrl, queueConnectionFromEnv, QueueConnectionError } from './connection';
import { configKey, evaluateJobId, prepareJobId, proposalOf } from './protocol';

const config = parseConfig({ template: 'vgg', dataset: 'builtin:mnist', budget: { episodes: 5 }, objectives: [{ metric: 'accuracy', goal: 'max' }], synthetic: {} });

describe('parseQueueUrl', () => {
  test('host, port, db, credentials and queue name; the password is hidden in messages', () => {
    const loc = parseQueueUrl({ url: 'redis://alice:p%40ss@example.org:6380/3?queue=night' });
    expect(loc.redis).toMatchObject({ host: 'example.org', port: 6380, db: 3, username: 'alice', password: 'p@ss', tls: undefined });
    expect(loc.queue).toBe('night');
    expect(loc.display).toBe('redis://alice:***@example.org:6380/3?queue=night');
  });

  test('defaults: port 6379, db 0, queue "evaluations"; rediss:// turns TLS on; an explicit password wins over the URL', () => {
    const loc = parseQueueUrl({ url: 'rediss://:url-secret@[::1]', password: 'env-secret', tls: { ca: 'PEM' } });
    expect(loc.redis).toMatchObject({ host: '::1', port: 6379, db: 0, password: 'env-secret', tls: { ca: 'PEM' } });
    expect(loc.queue).toBe('evaluations');
  });

  test.each([
    ['not a url', /not a URL/],
    ['http://localhost:6379', /expected a redis:\/\/ or rediss:\/\/ URL/],
    ['redis://localhost/abc', /the path must be a database number/],
    ['redis://localhost/0?queue=a:b', /queue name 'a:b'/],
  ])('%s is a user error naming the URL', (url, message) => {
    const e = (() => {
      try {
        parseQueueUrl({ url });
      } catch (err) {
        return err as QueueConnectionError;
      }
    })();
    expect(e).toBeInstanceOf(QueueConnectionError);
    expect(e?.userError).toBe(true);
    expect(e?.message).toMatch(message);
  });

  test('queueConnectionFromEnv reads the password and PEM files, and names an unreadable file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-env-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM');
    const opts = queueConnectionFromEnv('rediss://h', { MARL_HPO_REDIS_PASSWORD: 'pw', MARL_HPO_REDIS_CA: path.join(dir, 'ca.pem') });
    expect(opts).toEqual({ url: 'rediss://h', password: 'pw', tls: { ca: 'CA PEM', cert: undefined, key: undefined } });
    expect(() => queueConnectionFromEnv('redis://h', { MARL_HPO_REDIS_CERT: path.join(dir, 'nope.pem') })).toThrow(/MARL_HPO_REDIS_CERT=.*nope\.pem: cannot read \(ENOENT\)/);
  });
});

describe('job ids', () => {
  const values = { a: 1 };
  test('the same run, proposal and evaluated content give the same id; any difference gives another', () => {
    const id = evaluateJobId('00ff00ff00ff00ff', 7, config, values, { epochs: 2 });
    expect(evaluateJobId('00ff00ff00ff00ff', 7, config, { a: 1 }, { epochs: 2 })).toBe(id);
    expect(evaluateJobId('00ff00ff00ff00ff', 8, config, values, { epochs: 2 })).not.toBe(id);
    expect(evaluateJobId('00ff00ff00ff00fe', 7, config, values, { epochs: 2 })).not.toBe(id);
    expect(evaluateJobId('00ff00ff00ff00ff', 7, config, { a: 2 }, { epochs: 2 })).not.toBe(id);
    expect(evaluateJobId('00ff00ff00ff00ff', 7, config, values, { epochs: 1 })).not.toBe(id);
    expect(evaluateJobId('00ff00ff00ff00ff', 7, { ...config, trainer: { ...config.trainer, batchSize: 32 } }, values, { epochs: 2 })).not.toBe(id);
    // BullMQ rejects ids with ':' and all-digit ids.
    expect(id).toMatch(/^[0-9a-f]+-7-[0-9a-f]{16}$/);
  });

  test('a changed budget or name (allowed on --resume) keeps the ids', () => {
    expect(configKey({ ...config, budget: { episodes: 50 }, name: 'other' })).toBe(configKey(config));
  });

  test('proposalOf reads evaluate ids only', () => {
    expect(proposalOf(evaluateJobId('abc', 12, config, values, { epochs: 2 }))).toBe(12);
    expect(proposalOf(prepareJobId('abc', config))).toBeUndefined();
  });
});
