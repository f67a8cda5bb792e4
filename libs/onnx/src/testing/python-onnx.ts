// Test helper (not exported): runs tools/onnx_check.py with Debian's python3-onnx 1.12, an
// implementation of ONNX independent of ours.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const PYTHON = '/usr/bin/python3';
const script = path.resolve(__dirname, '../../../../tools/onnx_check.py');

export interface PyResult {
  file: string;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** One result per file (or per pair for 'same' and 'resave'), in order. */
export function pythonOnnx(cmd: 'check' | 'same' | 'inspect' | 'tensors' | 'resave', args: string[]): PyResult[] {
  const out = execFileSync(PYTHON, [script, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PyResult);
}
