import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { FolderLock, FolderLockedError, LOCK_FILE, type LockHolder } from './lock';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lock-'));
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const writeLock = (dir: string, h: Partial<LockHolder>) =>
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), started: '2020-01-01T00:00:00.000Z', command: 'search', nonce: 'n0', ...h }));

test('the lock file names the holder; a second acquirer is refused naming it; release frees the folder', () => {
  const dir = tmp();
  const lock = FolderLock.acquire(dir, 'search');
  const held = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockHolder;
  expect(held).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'search' });
  expect(Date.parse(held.started)).toBeGreaterThan(Date.now() - 60_000);
  expect(() => FolderLock.acquire(dir, 'search')).toThrow(new RegExp(`^${dir}: in use by search pid ${process.pid} on ${os.hostname()}, started ${held.started} \\(run.lock\\); wait for it to end or stop it$`));
  lock.release();
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  FolderLock.acquire(dir, 'experiment').release();
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('a lock whose process is gone is taken over, with a line saying so', () => {
  const dir = tmp();
  const pid = deadPid();
  writeLock(dir, { pid });
  const lines: string[] = [];
  const lock = FolderLock.acquire(dir, 'search', (l) => lines.push(l));
  expect(lines).toEqual([`${dir}: took over the lock of search pid ${pid} on ${os.hostname()}, started 2020-01-01T00:00:00.000Z: that process is gone`]);
  expect(lock.holder.pid).toBe(process.pid);
  lock.release();
});

test('a pid reused by another process (different start time) or a lock from before a reboot is stale', () => {
  const dir = tmp();
  if (fs.existsSync(`/proc/${process.pid}/stat`)) {
    writeLock(dir, { procStart: '1' });
    FolderLock.acquire(dir, 'search').release();
  }
  writeLock(dir, { boot: 'another-boot' });
  const lines: string[] = [];
  FolderLock.acquire(dir, 'search', (l) => lines.push(l)).release();
  expect(lines).toHaveLength(fs.existsSync('/proc/sys/kernel/random/boot_id') ? 1 : 0);
});

test('a lock held on another host is never taken over; nor is a file that is not a lock', () => {
  const dir = tmp();
  writeLock(dir, { pid: deadPid(), host: 'other-host' });
  expect(() => FolderLock.acquire(dir, 'search')).toThrow(FolderLockedError);
  expect(() => FolderLock.acquire(dir, 'search')).toThrow(/on other-host, .*; if it is gone, remove .*run\.lock$/);
  fs.writeFileSync(path.join(dir, LOCK_FILE), 'something else');
  expect(() => FolderLock.acquire(dir, 'search')).toThrow(/run\.lock, which is not a marl-hpo lock/);
  expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe('something else');
});

test('release leaves a lock that is not its own (taken over meanwhile)', () => {
  const dir = tmp();
  const lock = FolderLock.acquire(dir, 'search');
  writeLock(dir, { nonce: 'someone-else' });
  lock.release();
  expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).nonce).toBe('someone-else');
});

test('many processes racing for a folder with a stale lock: exactly one gets it', async () => {
  const dir = tmp();
  writeLock(dir, { pid: deadPid() });
  const script = path.join(dir, '..', `race-${path.basename(dir)}.js`);
  // Each child tries to take the lock and says how it went; the winner holds it until stopped.
  buildSync({
    stdin: { contents: `const { FolderLock } = require('./lock'); try { FolderLock.acquire(process.argv[2], 'search'); console.log('got'); setInterval(() => {}, 1000); } catch (e) { console.log(e.userError ? 'refused' : 'error ' + e.message); }`, resolveDir: __dirname, loader: 'ts' },
    outfile: script, bundle: true, platform: 'node', format: 'cjs', logLevel: 'error',
  });
  const children = Array.from({ length: 6 }, () => spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outcomes = await Promise.all(children.map((c) => new Promise<string>((resolve) => {
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d) && out.includes('\n') && resolve(out.trim()));
    c.on('exit', () => resolve(out.trim()));
  })));
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : (c.once('exit', resolve), c.kill())))));
  expect(outcomes.filter((o) => o === 'got')).toHaveLength(1);
  expect(outcomes.filter((o) => o === 'refused')).toHaveLength(5);
}, 60_000);
