// Bundles the CLI (and its worker entry points) into dist/apps/cli with esbuild.
// Workspace libs are bundled in; npm packages stay external (native addons, wasm files).
import { build } from 'esbuild';
import fs from 'node:fs';

const entryPoints = ['apps/cli/src/main.ts', ...fs.readdirSync('apps/cli/src').filter((f) => f.endsWith('.worker.ts')).map((f) => `apps/cli/src/${f}`)];
await build({
  entryPoints,
  outdir: 'dist/apps/cli',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
fs.chmodSync('dist/apps/cli/main.js', 0o755);
