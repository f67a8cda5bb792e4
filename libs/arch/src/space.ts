import { ArchError } from './errors';

/** A choice is any JSON value: a number, a string, or an object of layer hyperparameters. */
export type Choice = unknown;

/** One agent's decision: a layer (or a training hyperparameter) and its possible values. */
export interface Slot {
  name: string;
  choices: Choice[];
}

export interface SearchSpace {
  slots: Slot[];
}

/** A configuration as the agents see it: one choice index per slot, in slot order. */
export type Configuration = number[];

/** A configuration as templates see it: slot name -> chosen value. */
export type ConfigValues = Record<string, Choice>;

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** Number of configurations (a float: spaces can exceed 2^53). */
export function spaceSize(space: SearchSpace): number {
  return space.slots.reduce((n, s) => n * s.choices.length, 1);
}

export function valuesOf(space: SearchSpace, config: Configuration): ConfigValues {
  if (!Array.isArray(config) || config.length !== space.slots.length) {
    throw new ArchError(`configuration: expected ${space.slots.length} choice indexes, got ${JSON.stringify(config)}`);
  }
  return Object.fromEntries(
    space.slots.map((slot, i) => {
      const k = config[i];
      if (!Number.isInteger(k) || k < 0 || k >= slot.choices.length) {
        throw new ArchError(`configuration.${slot.name}: choice index ${k} out of range 0..${slot.choices.length - 1}`);
      }
      return [slot.name, slot.choices[k]];
    }),
  );
}

export function indexesOf(space: SearchSpace, values: ConfigValues): Configuration {
  checkNames(space, values);
  return space.slots.map((slot) => {
    if (!(slot.name in values)) throw new ArchError(`configuration.${slot.name}: missing`);
    const want = canonicalJson(values[slot.name]);
    const k = slot.choices.findIndex((c) => canonicalJson(c) === want);
    if (k < 0) throw new ArchError(`configuration.${slot.name}: ${want} is not one of its choices (${describeChoices(slot.choices)})`);
    return k;
  });
}

/** Completes a partial configuration from `base`; unknown slot names and values outside the choices are errors. */
export function completeValues(space: SearchSpace, base: ConfigValues, partial: ConfigValues): ConfigValues {
  if (!partial || typeof partial !== 'object' || Array.isArray(partial)) throw new ArchError(`configuration: expected an object of slot name -> value, got ${JSON.stringify(partial)}`);
  const values = { ...base, ...partial };
  indexesOf(space, values);
  return values;
}

/** The choices for an error message: all of them when short, else the first and last few. */
function describeChoices(choices: Choice[]): string {
  const all = choices.map(canonicalJson);
  return all.length <= 8 ? all.join(', ') : `${all.slice(0, 4).join(', ')}, ..., ${all.slice(-2).join(', ')}; ${all.length} in all`;
}

function checkNames(space: SearchSpace, values: ConfigValues): void {
  const names = new Set(space.slots.map((s) => s.name));
  for (const key of Object.keys(values)) {
    if (!names.has(key)) throw new ArchError(`configuration.${key}: unknown slot (slots: ${[...names].join(', ')})`);
  }
}
