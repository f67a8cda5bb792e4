// Bundles the profiler server into dist/apps/profiler-server/main.js (workspace libs in,
// npm packages such as onnxruntime-node external), the same way tools/build-cli.mjs does the CLI.
import { build } from 'esbuild';
import fs from 'node:fs';

await build({
  entryPoints: ['apps/profiler-server/src/main.ts'],
  outfile: 'dist/apps/profiler-server/main.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
fs.chmodSync('dist/apps/profiler-server/main.js', 0o755);
