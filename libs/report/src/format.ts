/** Number and label formatting shared by the HTML tables and the chart tooltips. */

/** Significant digits, no trailing zeros: 0.9432 -> "0.943", 766242 -> "766242". */
export function num(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(digits)));
}

/** Integer with thousands separators. */
export const int = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'));

/**
 * Short label of a choice: objects show their field values joined by "·" ({"filters":64,"kernel":3} -> "64·3"),
 * so Q-table axes stay readable; `choiceFields` names the fields for the caption.
 */
export function shortChoice(c: unknown): string {
  if (c && typeof c === 'object' && !Array.isArray(c)) return Object.values(c).map(shortChoice).join('·');
  if (Array.isArray(c)) return c.map(shortChoice).join(',');
  return String(c);
}

/** Full label of a choice for tooltips and tables: "filters 64, kernel 3". */
export function longChoice(c: unknown): string {
  if (c && typeof c === 'object' && !Array.isArray(c)) return Object.entries(c).map(([k, v]) => `${k} ${longChoice(v)}`).join(', ');
  return shortChoice(c);
}

/** The field names behind shortChoice's "·", e.g. "filters·kernel", or undefined for plain values. */
export function choiceFields(choices: readonly unknown[]): string | undefined {
  const c = choices.find((x) => x && typeof x === 'object' && !Array.isArray(x));
  return c ? Object.keys(c).join('·') : undefined;
}

export function shape(s: number[]): string {
  return s.join('×');
}

/** A name safe in file names and URLs (chart ids from slot names). */
export const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_');
