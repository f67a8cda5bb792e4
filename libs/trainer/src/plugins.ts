import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkModel } from './check-model';
import { TrainerError } from './errors';
import { isTrainerRegistered, listTrainers, registerTrainer } from './registry';
import type { TrainerPluginApi } from './types';

/** What a plug-in package gets: register its trainer, reuse the contract check of the built-in ones. */
export const trainerPluginApi: TrainerPluginApi = { registerTrainer, checkModel, apiVersion: 1 };

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const loading = new Map<string, Promise<void>>();

/** Resolves a package from the user's project (cwd) first, then from wherever this code lives. */
function resolvePackage(name: string): string | undefined {
  for (const base of [path.join(process.cwd(), 'package.json'), typeof __filename === 'string' ? __filename : undefined]) {
    if (!base) continue;
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not installed there; try the next base
    }
  }
  return undefined;
}

/**
 * Makes sure a trainer named `name` is registered: built-ins are; anything else is loaded as an
 * npm package of that name, whose `register(api)` (or default export) registers a trainer under
 * its own package name.
 */
export function ensureTrainer(name: string): Promise<void> {
  if (isTrainerRegistered(name)) return Promise.resolve();
  let p = loading.get(name);
  if (!p) {
    p = load(name);
    loading.set(name, p);
  }
  return p;
}

async function load(name: string): Promise<void> {
  const file = PACKAGE_NAME.test(name) ? resolvePackage(name) : undefined;
  if (!file) throw new TrainerError(`trainer.backend: unknown trainer '${name}' (registered: ${listTrainers().join(', ')}; no npm package of that name is installed)`);
  let mod: Record<string, unknown>;
  try {
    mod = await import(process.platform === 'win32' ? pathToFileURL(file).href : file);
  } catch (e) {
    throw new TrainerError(`trainer plug-in '${name}' failed to load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  const def = mod.default as Record<string, unknown> | ((api: TrainerPluginApi) => unknown) | undefined;
  const register = mod.register ?? (typeof def === 'function' ? def : def?.register);
  if (typeof register === 'function') await register(trainerPluginApi);
  if (!isTrainerRegistered(name)) {
    throw new TrainerError(`trainer plug-in '${name}' loaded but registered no trainer named '${name}' (export register(api) and call api.registerTrainer('${name}', trainer))`);
  }
}
