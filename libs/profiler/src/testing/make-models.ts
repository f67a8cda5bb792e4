// Test helper (not exported): writes small ONNX models with python onnx (an independent
// implementation) and returns their paths and python's reference costs (MACs, bytes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type LayerSpec = { op: string; [k: string]: unknown };
export interface ModelSpec {
  name: string;
  input: [number, number, number];
  batch?: string | number;
  refBatch?: number;
  layers: LayerSpec[];
}

const SCRIPT = path.join(__dirname, '../../testdata/make_models.py');

export interface ReferenceCost {
  macs: number;
  activationBytes: number;
  weightBytes: number;
  nodes: number;
  peakActivationBytes: number;
}

export function makeModels(specs: ModelSpec[]): { dir: string; file: (name: string) => string; ref: Record<string, ReferenceCost> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'marl-hpo-profiler-test-'));
  writeFileSync(path.join(dir, 'specs.json'), JSON.stringify(specs));
  const out = execFileSync('/usr/bin/python3', [SCRIPT, dir, path.join(dir, 'specs.json')], { encoding: 'utf8' });
  return { dir, file: (name) => path.join(dir, `${name}.onnx`), ref: JSON.parse(out) as Record<string, ReferenceCost> };
}

/** A small classifier CNN with a dynamic batch dimension 'N'. */
export const CNN: ModelSpec = {
  name: 'cnn',
  input: [3, 32, 32],
  layers: [
    { op: 'conv', out: 16, k: 3, pad: 1 },
    { op: 'relu' },
    { op: 'maxpool', k: 2 },
    { op: 'conv', out: 32, k: 3, stride: 2, pad: 1 },
    { op: 'bn' },
    { op: 'relu' },
    { op: 'gap' },
    { op: 'flatten' },
    { op: 'gemm', out: 10 },
    { op: 'softmax' },
  ],
};
