#!/usr/bin/env node
// Cost of libs/onnx on the baseline of every template, printed as one JSON document:
// - exportMs: exportOnnx(ir, weights) (check weights, transpose to NCHW, fold BN, encode);
// - decodeMs: decodeModel of the exported bytes;
// - reference: onnxruntime-node's InferenceSession.create on the same bytes (what the profiler
//   does next with every exported model), measured in this same process since the machine is shared;
// - ratios exportMs / ortLoadMs and decodeMs / ortLoadMs.
// Medians of --repeat runs after one warm-up.
//
//   node tools/bench/onnx-export.mjs [--repeat 5]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '5' } } });
const repeat = Number(values.repeat);

fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
const tmp = fs.mkdtempSync(path.join(root, 'tmp', 'onnx-bench-'));
const entry = path.join(tmp, 'entry.ts');
fs.writeFileSync(entry, "export * as arch from '@marl-hpo/arch';\nexport * as onnx from '@marl-hpo/onnx';\n");
await build({ entryPoints: [entry], outfile: path.join(tmp, 'bundle.cjs'), bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'warning', tsconfig: path.join(root, 'tsconfig.base.json') });
const require = createRequire(path.join(root, 'package.json'));
const { arch, onnx } = require(path.join(tmp, 'bundle.cjs'));
const ort = require('onnxruntime-node');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  await fn();
  const ms = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function weightsOf(ir) {
  let s = 1;
  const weights = {};
  for (const spec of arch.weightSpecs(ir)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1 + (spec.name.endsWith('variance') ? 1 : 0);
    weights[spec.name] = { shape: spec.shape, data };
  }
  return weights;
}

const results = {};
for (const template of arch.builtinTemplates) {
  const ir = template.instantiate(template.baseline());
  const weights = weightsOf(ir);
  const bytes = onnx.exportOnnx(ir, weights);
  const exportMs = await time(() => onnx.exportOnnx(ir, weights));
  const decodeMs = await time(() => onnx.decodeModel(bytes));
  const ortLoadMs = await time(async () => (await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })).release());
  results[template.name] = {
    input: ir.input,
    params: arch.summarize(ir).params,
    megabytes: +(bytes.length / 1e6).toFixed(2),
    exportMs: +exportMs.toFixed(1),
    decodeMs: +decodeMs.toFixed(1),
    ortLoadMs: +ortLoadMs.toFixed(1),
    exportOverOrtLoad: +(exportMs / ortLoadMs).toFixed(2),
    decodeOverOrtLoad: +(decodeMs / ortLoadMs).toFixed(2),
  };
}
fs.rmSync(tmp, { recursive: true });
console.log(JSON.stringify({ bench: 'onnx-export', repeat, results }, null, 1));
