import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An error the user caused (bad flag, bad file, bad config): printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Libraries mark their user-caused errors with `userError: true` (see DESIGN.md conventions). */
export function isUserError(e: unknown): e is Error {
  return e instanceof Error && (e as { userError?: unknown }).userError === true;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export interface Command {
  /** Words that select the command, e.g. ['data', 'inspect']. */
  path: string[];
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }, io: Io): Promise<number | void>;
}

/** Parses argv for one command; unknown flags and missing values become UsageErrors. */
export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: cmd.options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (usage: marl-hpo ${cmd.usage})`);
  }
}

/** Reads an integer flag, naming the flag in the error. */
export function intFlag(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer >= ${min}, got '${String(raw)}'`);
  return n;
}

/** Parses a JSON flag value, naming the flag in the error. */
export function jsonFlag(values: Record<string, unknown>, name: string): unknown {
  const raw = values[name];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(String(raw));
  } catch (e) {
    throw new UsageError(`--${name}: malformed JSON (${(e as Error).message})`);
  }
}

/** Formats rows as an aligned text table; columns of numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-+]?[\d,.]+(e[-+]?\d+)?%?x?$/.test(String(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
