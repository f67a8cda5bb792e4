import { parseTable, type BenchTable } from './table';

/** Test fixture: additive table over 4 slots x 4 choices; [3,3,3,3] absent, [0,0,0,0] failed; params grow with slot b. */
export function smallTable(): BenchTable {
  const rows: BenchTable['rows'] = [];
  for (let i = 0; i < 256; i++) {
    const choice = [i >> 6, (i >> 4) & 3, (i >> 2) & 3, i & 3];
    if (i === 255) continue;
    const accuracy = 0.5 + 0.1 * choice[0] + 0.01 * choice[1] + 0.001 * choice[2] + 0.0001 * choice[3];
    rows.push(i === 0 ? { choice, metrics: {}, error: 'diverged' } : { choice, metrics: { accuracy, latencyMs: 1 + choice[0], params: 1000 * (1 + choice[1]) } });
  }
  const slots = ['a', 'b', 'c', 'd'].map((name) => ({ name, choices: [1, 2, 3, 4] }));
  return parseTable({ name: 'small', slots, rows });
}
