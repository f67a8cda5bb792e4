#!/usr/bin/env node
// Generates the synthetic tables of the tabular search benchmark (tools/bench/tables/*.json).
// Seeded and deterministic: `node tools/bench/search-tables.mjs` rewrites the same files.
//
// The vgg-like tables model a small CNN on 28x28 grey images (Fashion-MNIST sized): per-layer
// saturating accuracy gains, interactions between neighbouring layers (bottlenecks, MACs that
// multiply neighbouring widths), a global interaction (learning rate vs depth and width),
// training noise, and a few failed runs. `chain` is an abstract landscape dominated by
// pairwise terms between neighbouring slots, the structure MARL's Q-tables are shaped for.
// The table from real training runs of the vgg template comes from the trainer (issue 8 note).
// `--large` writes two larger spaces (117k and 248k rows, 12-29 MB) to tmp/search-tables-large/
// instead: too big to keep in the repository (tools/bench/search.md, "Small budgets").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const large = process.argv.includes('--large');
const outDir = large ? path.join(here, '../../tmp/search-tables-large') : path.join(here, 'tables');

function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (rand) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const round = (x, digits) => Number(x.toPrecision(digits));

/** Every configuration of a space, in lexicographic order. */
function* grid(shape) {
  const c = shape.map(() => 0);
  for (;;) {
    yield c.slice();
    let i = shape.length - 1;
    while (i >= 0 && ++c[i] === shape[i]) c[i--] = 0;
    if (i < 0) return;
  }
}

/**
 * A VGG-like CNN: conv layers (3x3 unless a kernel slot says otherwise, 'same' padding,
 * 2x2 max pool after every `poolEvery` layers), global average pool, dense classifier.
 * Returns exact params/MACs and modelled accuracy and latency.
 */
function vggModel({ widths, kernels, poolEvery, lr, dropout }, p, rand) {
  let hw = 28;
  let cin = 1;
  let params = 0;
  let macs = 0;
  let traffic = 0;
  let acc = p.base;
  widths.forEach((c, i) => {
    const k = kernels?.[i] ?? 3;
    params += k * k * cin * c + c;
    macs += hw * hw * k * k * cin * c;
    traffic += hw * hw * c;
    // Saturating gain; later layers need more width to saturate.
    acc += p.gain[i] * (1 - Math.exp(-c / p.scale[i]));
    // Larger kernels help early layers (receptive field), hurt late ones on small maps.
    if (k === 5) acc += i < 2 ? p.kernelEarly : -p.kernelLate;
    // Bottleneck: a layer much narrower than its input loses information.
    if (i > 0 && c < widths[i - 1] / 2) acc -= p.bottleneck * Math.log2(widths[i - 1] / (2 * c));
    if ((i + 1) % poolEvery === 0 && hw > 3) hw = Math.floor(hw / 2);
    cin = c;
  });
  params += cin * 10 + 10;
  macs += cin * 10;
  if (lr !== undefined) {
    // The best learning rate falls as the network grows: a global interaction.
    const size = Math.log2(params);
    const best = -2.2 - 0.08 * (size - 14);
    acc -= p.lrPenalty * (Math.log10(lr) - best) ** 2;
  }
  if (dropout !== undefined) acc += dropout * (Math.log2(params) - 15) * p.dropoutGain;
  acc += p.noise * gauss(rand);
  const latencyMs = (p.latencyFixed + macs * p.latencyPerMac + traffic * p.latencyPerByte) * Math.exp(0.03 * gauss(rand));
  return { accuracy: Math.min(0.999, acc), latencyMs, params, macs };
}

function vggTable({ name, description, seed, filterChoices, layers, kernelSlots, lrChoices, dropoutChoices, poolEvery, failRate, p, objective }) {
  const rand = mulberry32(seed);
  const slots = [];
  for (let i = 0; i < layers; i++) {
    slots.push({ name: `conv${i + 1}.filters`, choices: filterChoices });
    if (kernelSlots) slots.push({ name: `conv${i + 1}.kernel`, choices: [3, 5] });
  }
  if (lrChoices) slots.push({ name: 'learningRate', choices: lrChoices });
  if (dropoutChoices) slots.push({ name: 'dropout', choices: dropoutChoices });
  const rows = [];
  for (const choice of grid(slots.map((s) => s.choices.length))) {
    const v = Object.fromEntries(slots.map((s, i) => [s.name, s.choices[choice[i]]]));
    const widths = [...Array(layers).keys()].map((i) => v[`conv${i + 1}.filters`]);
    const kernels = kernelSlots ? [...Array(layers).keys()].map((i) => v[`conv${i + 1}.kernel`]) : undefined;
    const m = vggModel({ widths, kernels, poolEvery, lr: v.learningRate, dropout: v.dropout }, p, rand);
    const fate = rand();
    if (fate < failRate / 2) continue; // crashed: absent from the table
    const metrics = { accuracy: round(m.accuracy, 5), latencyMs: round(m.latencyMs, 4), params: m.params, macs: m.macs };
    rows.push(fate < failRate ? { choice, metrics, error: 'training diverged' } : { choice, metrics });
  }
  return { name, description, generator: { script: 'tools/bench/search-tables.mjs', seed }, objective, slots, rows };
}

/** Pairwise-dominated chain: accuracy = base + sum_i u_i(a_i) + sum_i v_i(a_{i-1}, a_i) + noise. */
function chainTable({ name, description, seed, shape, unary, pairwise, noise, objective }) {
  const rand = mulberry32(seed);
  const u = shape.map((n) => Array.from({ length: n }, () => unary * rand()));
  const v = shape.map((n, i) => Array.from({ length: i === 0 ? 1 : shape[i - 1] }, () => Array.from({ length: n }, () => pairwise * rand() ** 2)));
  const slots = shape.map((n, i) => ({ name: `layer${i + 1}`, choices: [...Array(n).keys()] }));
  const rows = [];
  for (const choice of grid(shape)) {
    let acc = 0.8;
    choice.forEach((a, i) => (acc += u[i][a] + v[i][i === 0 ? 0 : choice[i - 1]][a]));
    acc += noise * gauss(rand);
    rows.push({ choice, metrics: { accuracy: round(acc, 5) } });
  }
  return { name, description, generator: { script: 'tools/bench/search-tables.mjs', seed }, objective, slots, rows };
}

const mnas = (target, weight) => ({ objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target, weight }] });
const common = {
  base: 0.78,
  kernelEarly: 0.003,
  kernelLate: 0.002,
  bottleneck: 0.006,
  lrPenalty: 0.02,
  dropoutGain: 0.004,
  noise: 0.0015,
  latencyFixed: 0.05,
  latencyPerMac: 2e-8,
  latencyPerByte: 1e-6,
};

const largeTables = () => [
  vggTable({
    name: 'vgg6-wide',
    description: '6 conv layers, 7 widths each; MnasNet reward, params limit',
    seed: 21,
    filterChoices: [4, 8, 16, 32, 64, 128, 256],
    layers: 6,
    poolEvery: 2,
    failRate: 0.01,
    p: { ...common, noise: 0.004, gain: [0.02, 0.025, 0.03, 0.03, 0.03, 0.025], scale: [6, 10, 16, 24, 32, 40] },
    objective: { ...mnas(0.15, -0.07), constraints: [{ metric: 'params', max: 120000 }] },
  }),
  vggTable({
    name: 'vgg5-kernels-wide',
    description: '5 conv layers, 6 widths and 2 kernels each (10 slots); MnasNet reward, params limit',
    seed: 22,
    filterChoices: [8, 16, 32, 64, 128, 256],
    layers: 5,
    kernelSlots: true,
    poolEvery: 1,
    failRate: 0.01,
    p: { ...common, noise: 0.004, gain: [0.03, 0.035, 0.035, 0.03, 0.02], scale: [8, 14, 24, 36, 48] },
    objective: { ...mnas(0.3, -0.1), constraints: [{ metric: 'params', max: 150000 }] },
  }),
];

const smallTables = () => [
  vggTable({
    name: 'vgg6-filters',
    description: '6 conv layers, 4 widths each; MnasNet reward (w = -0.07)',
    seed: 11,
    filterChoices: [8, 16, 32, 64],
    layers: 6,
    poolEvery: 2,
    failRate: 0.01,
    p: { ...common, gain: [0.02, 0.025, 0.03, 0.03, 0.03, 0.025], scale: [6, 10, 16, 24, 32, 40] },
    objective: mnas(0.15, -0.07),
  }),
  vggTable({
    name: 'vgg4-kernels',
    description: '4 conv layers, 3 widths and 2 kernels each (8 slots); MnasNet reward and a params limit',
    seed: 12,
    filterChoices: [16, 32, 64],
    layers: 4,
    kernelSlots: true,
    poolEvery: 1,
    failRate: 0.02,
    p: { ...common, gain: [0.03, 0.035, 0.035, 0.03], scale: [8, 14, 24, 36] },
    objective: { ...mnas(0.3, -0.1), constraints: [{ metric: 'params', max: 60000 }] },
  }),
  vggTable({
    name: 'vgg6-lr-dropout',
    description: '6 conv layers of 3 widths, learning rate and dropout (8 slots); best learning rate depends on the network size',
    seed: 13,
    filterChoices: [16, 32, 64],
    layers: 6,
    lrChoices: [0.0003, 0.001, 0.003],
    dropoutChoices: [0, 0.25, 0.5],
    poolEvery: 2,
    failRate: 0.01,
    p: { ...common, gain: [0.02, 0.025, 0.03, 0.03, 0.03, 0.025], scale: [6, 10, 16, 24, 32, 40] },
    objective: mnas(0.5, -0.1),
  }),
  chainTable({
    name: 'chain6',
    description: '6 slots of 4 choices; pairwise terms between neighbouring slots dominate',
    seed: 14,
    shape: [4, 4, 4, 4, 4, 4],
    unary: 0.01,
    pairwise: 0.025,
    noise: 0.001,
    objective: { objectives: [{ metric: 'accuracy', goal: 'max' }] },
  }),
  chainTable({
    name: 'chain8',
    description: '8 slots of 3 choices; pairwise terms between neighbouring slots dominate',
    seed: 15,
    shape: [3, 3, 3, 3, 3, 3, 3, 3],
    unary: 0.01,
    pairwise: 0.025,
    noise: 0.001,
    objective: { objectives: [{ metric: 'accuracy', goal: 'max' }] },
  }),
];

fs.mkdirSync(outDir, { recursive: true });
for (const t of large ? largeTables() : smallTables()) {
  const file = path.join(outDir, `${t.name}.json`);
  // One row per line: readable diffs, small files.
  const { rows, ...head } = t;
  const lines = Object.entries(head).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const text = `{\n${lines.join(',\n')},\n "rows": [\n${rows.map((r) => '  ' + JSON.stringify(r)).join(',\n')}\n ]\n}\n`;
  fs.writeFileSync(file, text);
  console.log(`${file}: ${rows.length} rows`);
}
