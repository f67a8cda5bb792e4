// Bundles the apps with esbuild into dist/apps/<app>/: workspace libs are bundled in, npm
// packages stay external (native addons, wasm files). `node tools/build.mjs [app...]`
// (default: every app). The CLI's `*.worker.ts` files become extra entries for worker processes.
import { build } from 'esbuild';
import fs from 'node:fs';

const workers = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.worker.ts')).map((f) => `${dir}/${f}`);
const apps = {
  cli: ['apps/cli/src/main.ts', ...workers('apps/cli/src')],
  'profiler-server': ['apps/profiler-server/src/main.ts'],
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(apps);
for (const name of names) {
  if (!apps[name]) throw new Error(`unknown app '${name}' (apps: ${Object.keys(apps).join(', ')})`);
  const outdir = `dist/apps/${name}`;
  await build({
    entryPoints: apps[name],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  fs.chmodSync(`${outdir}/main.js`, 0o755);
}
