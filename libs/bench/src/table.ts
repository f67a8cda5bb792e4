import { readFileSync } from 'node:fs';
import { checkMetricsProduced, type Metrics, parseRewardSpec, type RewardSpec } from '@marl-hpo/search';

/**
 * A tabular benchmark: the metrics of (some) configurations of a space, measured once, so
 * search algorithms can be compared over many repeats without training.
 * `choice` holds one choice index per slot, in slot order. A configuration absent from
 * the rows, or a row with `error`, is a failed evaluation.
 */
export interface BenchTable {
  name: string;
  description?: string;
  /** The objective the table was made for; the benchmark's default. */
  objective?: RewardSpec;
  slots: { name: string; choices: unknown[] }[];
  rows: { choice: number[]; metrics: Metrics; error?: string }[];
}

/** A malformed or unreadable table; the message names the file and field. */
export class BenchTableError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'BenchTableError';
  }
}

export const configKey = (config: readonly number[]) => config.join(',');

export function parseTable(value: unknown, file = 'table'): BenchTable {
  const fail = (field: string, why: string) => new BenchTableError(`${file}: ${field}: ${why}`);
  const t = value as Partial<BenchTable> & Record<string, unknown>;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new BenchTableError(`${file}: expected {"name", "slots", "rows"}`);
  if (typeof t.name !== 'string' || !t.name) throw fail('name', 'expected a non-empty string');
  if (!Array.isArray(t.slots) || t.slots.length === 0) throw fail('slots', 'expected a non-empty list of {name, choices}');
  const shape = t.slots.map((s, i) => {
    if (!s || typeof s.name !== 'string' || !Array.isArray(s.choices) || s.choices.length === 0) {
      throw fail(`slots[${i}]`, 'expected {name, choices: [at least one]}');
    }
    return s.choices.length;
  });
  if (!Array.isArray(t.rows) || t.rows.length === 0) throw fail('rows', 'expected a non-empty list of {choice, metrics}');
  const seen = new Set<string>();
  t.rows.forEach((r, i) => {
    const field = `rows[${i}]`;
    if (!r || !Array.isArray(r.choice) || r.choice.length !== shape.length) throw fail(`${field}.choice`, `expected ${shape.length} choice indexes`);
    r.choice.forEach((k, j) => {
      if (!Number.isInteger(k) || k < 0 || k >= shape[j]) throw fail(`${field}.choice[${j}]`, `index ${JSON.stringify(k)} out of range 0..${shape[j] - 1}`);
    });
    const key = configKey(r.choice);
    if (seen.has(key)) throw fail(`${field}.choice`, `configuration [${key}] appears twice`);
    seen.add(key);
    if (r.error !== undefined && typeof r.error !== 'string') throw fail(`${field}.error`, 'expected a string');
    if (!r.metrics || typeof r.metrics !== 'object' || Array.isArray(r.metrics)) throw fail(`${field}.metrics`, 'expected an object of metric -> number');
    // Any column name: accuracy, testAccuracy, accuracy12, latencyRaspi4Ms... (an objective naming none of them is refused by tableMetrics' check).
    for (const [m, v] of Object.entries(r.metrics)) {
      if (typeof v !== 'number') throw fail(`${field}.metrics.${m}`, `expected a number, got ${JSON.stringify(v)}`);
    }
  });
  const table = t as BenchTable;
  const objective = t.objective === undefined ? undefined : parseRewardSpec(t.objective, `${file}: objective`);
  if (objective) checkTableMetrics(table, objective, `${file}: objective`);
  return { ...table, objective };
}

/** Every metric some row of the table has, in first-seen order. */
export function tableMetrics(table: BenchTable): string[] {
  const names = new Set<string>();
  for (const r of table.rows) for (const m of Object.keys(r.metrics)) names.add(m);
  return [...names];
}

/** Refuses an objective naming a metric no row has, e.g. `--objective: objectives[0].metric: 'acuracy' is not produced by table t (...)`. */
export function checkTableMetrics(table: BenchTable, objective: RewardSpec, where: string): void {
  checkMetricsProduced(objective, tableMetrics(table), where, `by table ${table.name}`);
}

export function loadTable(path: string): BenchTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BenchTableError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BenchTableError(`${path}: malformed JSON (${(e as Error).message})`);
  }
  return parseTable(json, path);
}
