// The two CNNs of ../shared/bench/torch_reference.py (input 28x28x1, 10 classes) as custom
// templates, for benchmarks of the trainer backends. `replica` is a slot no layer reads: its N
// choices give N configurations with the same network, so one search trains it N times.
import fs from 'node:fs';
import path from 'node:path';

const conv = (name, filters) => ({ kind: 'conv2d', name, filters, kernel: 3 });
const pool = (name) => ({ kind: 'maxPool', name, size: 2 });

export const ARCH_LAYERS = {
  small: [conv('c1', 16), pool('p1'), conv('c2', 32), pool('p2'), { kind: 'flatten', name: 'f' }, { kind: 'dense', name: 'logits', units: 10, activation: 'linear' }],
  vgg: [
    conv('c1', 32), conv('c2', 32), pool('p1'), conv('c3', 64), conv('c4', 64), pool('p2'),
    { kind: 'flatten', name: 'f' }, { kind: 'dense', name: 'fc', units: 128 }, { kind: 'dense', name: 'logits', units: 10, activation: 'linear' },
  ],
};

/** Writes custom:<dir>/<arch>.json with `replicas` identical configurations; returns the template spec. */
export function writeArchTemplate(dir, arch, replicas) {
  const layers = ARCH_LAYERS[arch];
  if (!layers) throw new Error(`unknown arch ${arch}: small or vgg`);
  const file = path.join(dir, `${arch}.json`);
  const spec = { name: `torch-reference-${arch}`, task: 'classification', input: [28, 28, 1], classes: 10, slots: [{ name: 'replica', choices: [...Array(replicas).keys()] }], baseline: { replica: 0 }, layers };
  fs.writeFileSync(file, JSON.stringify(spec));
  return `custom:${file}`;
}
