import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJournal, type EvaluationRecord } from './journal';

const record = (episode: number, over: Record<string, unknown> = {}): EvaluationRecord =>
  ({
    type: 'evaluation', episode, config: [episode % 2], values: { c1: 4 }, fidelity: { epochs: 1 }, status: 'ok',
    metrics: { accuracy: 0.5 }, reward: 0.5, violations: [], timings: { total: 0.1 }, time: new Date(0).toISOString(), ...over,
  }) as EvaluationRecord;
const journal = (lines: unknown[], tail = '') => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'journal-')), 'journal.jsonl');
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)) + '\n').join('') + tail);
  return file;
};

test('a journal holds episodes 0, 1, 2... once each; a half-written last line is ignored', () => {
  const file = journal([record(0), record(1), record(2)], '{"type":"evaluation","epis');
  expect(readJournal(file)).toMatchObject({ truncatedTail: true, records: [{ episode: 0 }, { episode: 1 }, { episode: 2 }] });
});

test('an episode twice (two processes appended to one journal) is refused with both line numbers', () => {
  const file = journal([record(0), record(1), record(1, { reward: 0.7 }), record(2)]);
  expect(() => readJournal(file)).toThrow(`${file}:3: episode 1 again (first on line 2): two processes wrote this journal at once`);
});

test('an episode out of sequence is refused with its line', () => {
  const file = journal([record(0), record(2)]);
  expect(() => readJournal(file)).toThrow(`${file}:2: episode 2 where 1 was expected (the journal holds episodes 0, 1, 2... in order)`);
});

test.each([
  ['a reward that is not a number', { reward: 'high' }, /:2: bad journal record: reward: Invalid input: expected number, received string$/],
  ['an unknown status', { status: 'done' }, /:2: bad journal record: status: Invalid option: expected one of "ok"\|"infeasible"\|"failed"\|"diverged"$/],
  ['a missing configuration', { config: undefined }, /:2: bad journal record: config: Invalid input: expected array, received undefined$/],
  ['a bad metric', { metrics: { accuracy: '0.9' } }, /:2: bad journal record: metrics\.accuracy: Invalid input: expected number, received string$/],
  ['a negative episode', { episode: -1 }, /:2: bad journal record: episode: Too small: expected number to be >=0$/],
])('a line of valid JSON with a bad field (%s) names the file, the line and the field', (_name, over, message) => {
  const file = journal([record(0), record(1, over)]);
  expect(() => readJournal(file)).toThrow(message);
  expect(() => readJournal(file)).toThrow(file);
});

test('a line that is not JSON, or not an evaluation, is corruption named by its line', () => {
  expect(() => readJournal(journal([record(0), '{"type": "evalu'] ))).toThrow(/journal\.jsonl:2: unreadable journal line \(/);
  expect(() => readJournal(journal([{ type: 'note' }]))).toThrow(/journal\.jsonl:1: bad journal record: type: Invalid input: expected "evaluation"$/);
});

test('fields a later version adds are kept; NaN metrics (written as null) are accepted', () => {
  const file = journal([record(0, { extra: { x: 1 }, metrics: { accuracy: null } })]);
  expect(readJournal(file).records[0]).toMatchObject({ extra: { x: 1 }, metrics: { accuracy: null } });
});
