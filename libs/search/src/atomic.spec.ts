import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiskError, removeStaleTempFiles, tempFileOf, writeFileAtomic } from './atomic';
import { JournalWriter, readJournal, type EvaluationRecord } from './journal';

// The write paths under the faults a real disk gives: writes that take only part of the bytes,
// and a device that fills up part-way (what a small tmpfs does; test/faults.e2e.ts runs a whole
// search on one). The fs calls are intercepted here, the code under test is the production one.
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
afterEach(() => jest.restoreAllMocks());

/** Each write takes at most `chunk` bytes; after `capacity` bytes in all, writes fail with ENOSPC. */
function smallDisk(chunk: number, capacity = Infinity) {
  const real = fs.writeSync;
  let used = 0;
  return jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, offset?: number, length?: number) => {
    const off = offset ?? 0;
    const n = Math.min(chunk, length ?? buf.length - off, capacity - used);
    if (n <= 0) throw enospc();
    used += n;
    return real(fd, buf, off, n);
  }) as typeof fs.writeSync);
}

test('a write that takes only part of the bytes is continued until the file is whole', () => {
  const file = path.join(tmp(), 'agents.json');
  const text = JSON.stringify({ q: Array.from({ length: 500 }, (_, i) => i / 7) });
  const spy = smallDisk(100);
  writeFileAtomic(file, text);
  expect(spy.mock.calls.length).toBeGreaterThan(text.length / 100);
  expect(fs.readFileSync(file, 'utf8')).toBe(text);
});

test('a full disk: DiskError naming the file, the old content intact, no temporary file left', () => {
  const dir = tmp();
  const file = path.join(dir, 'best.onnx');
  fs.writeFileSync(file, 'old model');
  smallDisk(64, 200);
  let error: unknown;
  try {
    writeFileAtomic(file, Buffer.alloc(1000, 7));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DiskError);
  expect((error as DiskError).userError).toBe(true);
  expect((error as Error).message).toBe(`${file}: cannot write, no space left on the device (ENOSPC)`);
  expect(fs.readFileSync(file, 'utf8')).toBe('old model');
  expect(fs.readdirSync(dir)).toEqual(['best.onnx']);
});

test('a failed fsync or rename removes the temporary file; other errors stay what they are', () => {
  const dir = tmp();
  const file = path.join(dir, 'pareto.json');
  jest.spyOn(fs, 'fsyncSync').mockImplementationOnce(() => {
    throw Object.assign(new Error('EDQUOT'), { code: 'EDQUOT' });
  });
  expect(() => writeFileAtomic(file, '{}')).toThrow(`${file}: cannot write, disk quota exceeded (EDQUOT)`);
  jest.spyOn(fs, 'renameSync').mockImplementationOnce(() => {
    throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
  });
  expect(() => writeFileAtomic(file, '{}')).toThrow(/^EIO: i\/o error$/);
  expect(fs.readdirSync(dir)).toEqual([]);
});

const record = (episode: number): EvaluationRecord => ({
  type: 'evaluation', episode, config: [0], values: { c1: 4 }, fidelity: { epochs: 1 }, status: 'ok',
  metrics: { accuracy: 0.5 + episode / 100 }, reward: 0.5, violations: [], timings: { total: 0.1 }, time: new Date(0).toISOString(),
});

test('the journal keeps only whole lines when the disk fills during an append', () => {
  const file = path.join(tmp(), 'journal.jsonl');
  const w = new JournalWriter(file, 0);
  w.append(record(0));
  w.append(record(1));
  const whole = fs.readFileSync(file, 'utf8');
  smallDisk(50, 120); // part of the next line fits
  expect(() => w.append(record(2))).toThrow(new DiskError(`${file}: cannot write, no space left on the device (ENOSPC)`, 'ENOSPC'));
  jest.restoreAllMocks();
  expect(fs.readFileSync(file, 'utf8')).toBe(whole);
  // Once there is room again, appending goes on from the last whole line.
  w.append(record(2));
  w.close();
  const read = readJournal(file);
  expect(read.truncatedTail).toBe(false);
  expect(read.records.map((r) => r.episode)).toEqual([0, 1, 2]);
});

test('temporary files of processes that are gone are removed, those of live ones kept', () => {
  const dir = tmp();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const live = process.ppid;
  const deadTmp = path.basename(tempFileOf(path.join(dir, 'agents.json'), Number(dead)));
  const liveTmp = path.basename(tempFileOf(path.join(dir, 'agents.json'), live));
  for (const f of [deadTmp, liveTmp, 'agents.json', '.hidden']) fs.writeFileSync(path.join(dir, f), 'x');
  expect(removeStaleTempFiles(dir, (pid) => pid === live)).toEqual([deadTmp]);
  expect(fs.readdirSync(dir).sort()).toEqual(['.hidden', liveTmp, 'agents.json'].sort());
});
