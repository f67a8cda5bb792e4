import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstLine, ProfilerError } from './errors';
import { timeLoop } from './harness';
import { isRegistered, listBackends, registerBackend } from './registry';
import type { PluginApi } from './types';

/** What a plug-in package gets: register its backend(s), reuse the timing loop. */
export const pluginApi: PluginApi = { registerBackend, timeLoop, apiVersion: 1 };

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const loading = new Map<string, Promise<void>>();

/** Resolves a package from the user's project (cwd) first, then from wherever this code lives. */
function resolvePackage(name: string): string | undefined {
  const bases = [path.join(process.cwd(), 'package.json'), typeof __filename === 'string' ? __filename : undefined];
  for (const base of bases) {
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
 * Makes sure a backend named `name` is registered: built-ins are, anything else is loaded as
 * an npm package of that name, whose `register(api)` (or default export) must register a
 * backend under its own package name.
 */
export function ensureBackend(name: string): Promise<void> {
  if (isRegistered(name)) return Promise.resolve();
  let p = loading.get(name);
  if (!p) {
    p = loadPlugin(name);
    loading.set(name, p);
  }
  return p;
}

async function loadPlugin(name: string): Promise<void> {
  const builtIn = listBackends().map((b) => b.name).join(', ');
  const file = PACKAGE_NAME.test(name) ? resolvePackage(name) : undefined;
  if (!file) throw new ProfilerError(`unknown profiler backend '${name}' (registered: ${builtIn}; no npm package of that name is installed)`);
  let mod: Record<string, unknown>;
  try {
    // An absolute path works for import() on POSIX; Windows needs a file URL.
    mod = await import(process.platform === 'win32' ? pathToFileURL(file).href : file);
  } catch (e) {
    throw new ProfilerError(`profiler plug-in '${name}' failed to load: ${firstLine(e instanceof Error ? e.message : String(e))}`);
  }
  const def = mod.default as Record<string, unknown> | ((api: PluginApi) => unknown) | undefined;
  const register = mod.register ?? (typeof def === 'function' ? def : def?.register);
  if (typeof register === 'function') await register(pluginApi);
  if (!isRegistered(name)) {
    throw new ProfilerError(`profiler plug-in '${name}' loaded but registered no backend named '${name}' (a plug-in exports register(api) and calls api.registerBackend('${name}', backend))`);
  }
}
