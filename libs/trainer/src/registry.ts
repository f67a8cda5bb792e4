import type { Trainer } from './types';

/**
 * Trainer registry, like the profiler's (and onnxruntime-common's registerBackend): registration
 * checks the object's shape; a name is taken once; plug-ins are npm packages loaded by name.
 */
const trainers = new Map<string, Trainer>();

export function registerTrainer(name: string, trainer: Trainer): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('registerTrainer: name must be a non-empty string');
  if (!trainer || typeof trainer.open !== 'function') throw new TypeError(`registerTrainer('${name}'): not a valid trainer (needs open(config, context))`);
  const current = trainers.get(name);
  if (current === trainer) return;
  if (current) throw new Error(`registerTrainer: a trainer named '${name}' is already registered`);
  trainers.set(name, trainer);
}

export function isTrainerRegistered(name: string): boolean {
  return trainers.has(name);
}

export function listTrainers(): string[] {
  return [...trainers.keys()];
}

export function getTrainer(name: string): Trainer | undefined {
  return trainers.get(name);
}

/** For tests only: forget a trainer. */
export function unregisterTrainer(name: string): void {
  trainers.delete(name);
}
