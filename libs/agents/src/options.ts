import { AgentError } from './types';

/** One option of one algorithm: its default and how to check a given value. */
export interface OptionSpec {
  doc: string;
  default: unknown;
  check(value: unknown, field: string): unknown;
}

/** Fills defaults and checks every value; unknown option names are errors. */
export function resolveOptions(
  algorithm: string,
  specs: Record<string, OptionSpec>,
  given: Record<string, unknown>,
): Record<string, unknown> {
  for (const key of Object.keys(given)) {
    if (key === 'seed' || key === 'budget' || given[key] === undefined) continue;
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new AgentError(`options.${key}: not an option of '${algorithm}'${known.length ? ` (options: ${known.join(', ')})` : ' (it takes none)'}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const v = given[key] === undefined ? spec.default : given[key];
    out[key] = spec.check(v, `options.${key}`);
  }
  return out;
}

export function numberIn(lo: number, hi: number, opts: { loOpen?: boolean; integer?: boolean } = {}) {
  return (value: unknown, field: string): number => {
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (opts.loOpen ? value > lo : value >= lo) &&
      value <= hi &&
      (!opts.integer || Number.isInteger(value));
    if (!ok) {
      const what = opts.integer ? 'an integer' : 'a number';
      throw new AgentError(`${field}: expected ${what} in ${opts.loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
}

export function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AgentError(`${field}: expected a finite number, got ${JSON.stringify(value)}`);
  return value;
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (value: unknown, field: string): T => {
    if (!values.includes(value as T)) throw new AgentError(`${field}: expected ${values.map((v) => `'${v}'`).join(' | ')}, got ${JSON.stringify(value)}`);
    return value as T;
  };
}

export function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new AgentError(`${field}: expected true or false, got ${JSON.stringify(value)}`);
  return value;
}
