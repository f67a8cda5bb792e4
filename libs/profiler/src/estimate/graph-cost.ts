import { DataType, tensorValues, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type TypeProto } from '@marl-hpo/onnx';

/** What an ONNX graph costs per inference: the features of the latency estimate. */
export interface GraphCost {
  /** Multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul. */
  macs: number;
  /** The part of `macs` in grouped convolutions (depthwise and the like), which run far below peak. */
  groupedMacs: number;
  /** Bytes of every tensor that nodes read or write, initializers excluded. */
  activationBytes: number;
  /** Bytes of the initializers that nodes read. */
  weightBytes: number;
  /**
   * Most bytes of activations alive at once when the nodes run in graph order, the graph inputs
   * kept throughout and every other tensor freed after its last reader: about the memory a
   * runtime needs beyond the weights (tensors of unknown shape count 0).
   */
  peakActivationBytes: number;
  /** Bytes of the graph outputs (what a run hands back). */
  outputBytes: number;
  /** The graph inputs (initializers excluded), the batch dimension set; shape undefined when unknown. */
  inputs: { name: string; shape?: number[]; elementBytes: number; elementType: number }[];
  nodes: number;
  /** Nodes per op type. */
  opCounts: Record<string, number>;
  /** Op types whose output shape could not be inferred (their cost, and that of what follows, is missing). */
  unknownOps: string[];
}

interface Value {
  shape?: number[];
  bytes: number;
  /** Values of small constant tensors (shapes, scales, axes). */
  data?: number[];
  constant?: boolean;
}

const ELEM_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.UINT8]: 1, [DataType.INT8]: 1, [DataType.UINT16]: 2, [DataType.INT16]: 2,
  [DataType.INT32]: 4, [DataType.INT64]: 8, [DataType.BOOL]: 1, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4, [DataType.UINT64]: 8, [DataType.BFLOAT16]: 2,
};

const UNARY = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu', 'Gelu', 'Softplus', 'Softsign',
  'Clip', 'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LRN', 'Softmax', 'LogSoftmax',
  'Cast', 'Erf', 'Sqrt', 'Neg', 'Exp', 'Log', 'Abs', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Not', 'Sign', 'Mish',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'And', 'Or', 'Where']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2']);

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const num = (v: bigint | number | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

function attrs(node: NodeProto): Map<string, AttributeProto> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}
const ints = (a: Map<string, AttributeProto>, name: string) => a.get(name)?.ints?.map(Number);
const int = (a: Map<string, AttributeProto>, name: string, fallback: number) => num(a.get(name)?.i, fallback);
const str = (a: Map<string, AttributeProto>, name: string) => (a.get(name)?.s ? new TextDecoder().decode(a.get(name)?.s) : undefined);

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** Output spatial size of a conv or pool along one axis (ONNX operator spec formulas). */
function spatialOut(x: number, k: number, s: number, d: number, padBegin: number, padEnd: number, autoPad: string | undefined, ceil: boolean): number {
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(x / s);
  const eff = (k - 1) * d + 1;
  if (autoPad === 'VALID') return Math.floor((x - eff) / s) + 1;
  const r = (x + padBegin + padEnd - eff) / s;
  return (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
}

function windowShape(x: number[], kernel: number[], a: Map<string, AttributeProto>, ceil: boolean): number[] {
  const n = kernel.length;
  const strides = ints(a, 'strides') ?? Array(n).fill(1);
  const dil = ints(a, 'dilations') ?? Array(n).fill(1);
  const pads = ints(a, 'pads') ?? Array(2 * n).fill(0);
  const auto = str(a, 'auto_pad');
  return kernel.map((k, i) => spatialOut(x[2 + i], k, strides[i], dil[i], pads[i], pads[i + n], auto, ceil));
}

export function tensorShape(t: TypeProto | undefined, batch: number): { shape?: number[]; bytes: number } {
  const tt = t?.tensor_type;
  const bytes = ELEM_BYTES[tt?.elem_type ?? DataType.FLOAT] ?? 4;
  const dims = tt?.shape?.dim;
  if (!dims) return { bytes };
  const shape: number[] = [];
  for (const [i, d] of dims.entries()) {
    if (d.dim_value !== undefined && d.dim_value > 0n) shape.push(Number(d.dim_value));
    else if (i === 0) shape.push(batch);
    else return { bytes };
  }
  return { shape, bytes };
}

function constantValue(t: TensorProto): Value {
  const shape = (t.dims ?? []).map(Number);
  const v: Value = { shape, bytes: ELEM_BYTES[t.data_type ?? DataType.FLOAT] ?? 4, constant: true };
  if (prod(shape) <= 64) {
    try {
      v.data = Array.from(tensorValues(t) as ArrayLike<number | bigint>, Number);
    } catch {
      // external or exotic data: the values stay unknown
    }
  }
  return v;
}

/**
 * Infers the shape of every tensor of the graph (the batch dimension set to `batch`) for the
 * ops CNNs use, and counts MACs and memory traffic. Independent of onnxruntime, so the
 * estimate works where no runtime is installed.
 */
export function graphCost(model: ModelProto, batch = 1): GraphCost {
  const g = model.graph ?? {};
  const values = new Map<string, Value>();
  for (const t of g.initializer ?? []) values.set(t.name ?? '', constantValue(t));
  for (const vi of g.input ?? []) if (!values.has(vi.name ?? '')) values.set(vi.name ?? '', tensorShape(vi.type, batch));
  // Shapes the exporter recorded are used for ops this counter does not know.
  const recorded = new Map<string, { shape?: number[]; bytes: number }>();
  for (const vi of [...(g.value_info ?? []), ...(g.output ?? [])]) recorded.set(vi.name ?? '', tensorShape(vi.type, batch));

  const cost: GraphCost = { macs: 0, groupedMacs: 0, activationBytes: 0, weightBytes: 0, peakActivationBytes: 0, outputBytes: 0, inputs: [], nodes: 0, opCounts: {}, unknownOps: [] };
  const initializers = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  for (const vi of g.input ?? []) {
    if (initializers.has(vi.name ?? '')) continue;
    const { shape, bytes } = tensorShape(vi.type, batch);
    cost.inputs.push({ name: vi.name ?? '', shape, elementBytes: bytes, elementType: vi.type?.tensor_type?.elem_type ?? DataType.FLOAT });
  }
  // Liveness, for peakActivationBytes: the index of each tensor's last reader (graph outputs live to the end).
  const nodes = g.node ?? [];
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => (n.input ?? []).forEach((name) => lastUse.set(name, i)));
  for (const o of g.output ?? []) lastUse.set(o.name ?? '', Infinity);
  const sizeOf = (v: Value | undefined) => (v?.shape && !v.constant ? prod(v.shape) * v.bytes : 0);
  let live = cost.inputs.reduce((s, i) => s + (i.shape ? prod(i.shape) * i.elementBytes : 0), 0);
  cost.peakActivationBytes = live;
  const kept = new Set(cost.inputs.map((i) => i.name));
  for (const [index, node] of nodes.entries()) {
    const op = node.op_type ?? '';
    const ins = (node.input ?? []).map((n) => (n === '' ? undefined : values.get(n)));
    const a = attrs(node);
    const outs = infer(op, ins, a, cost);
    (node.output ?? []).forEach((name, i) => {
      let v = outs?.[i];
      if (!v?.shape) {
        const r = recorded.get(name);
        if (r?.shape) v = { ...r, constant: v?.constant };
      }
      if (v) values.set(name, v);
    });
    // Outputs are allocated while the inputs are still held; then inputs read for the last time are freed.
    for (const name of node.output ?? []) live += lastUse.has(name) ? sizeOf(values.get(name)) : 0;
    cost.peakActivationBytes = Math.max(cost.peakActivationBytes, live);
    for (const name of new Set(node.input ?? [])) if (lastUse.get(name) === index && !kept.has(name)) live -= sizeOf(values.get(name));
    if (op === 'Constant') continue;
    cost.nodes++;
    cost.opCounts[op] = (cost.opCounts[op] ?? 0) + 1;
    if (!outs?.[0]?.shape && !recorded.get(node.output?.[0] ?? '')?.shape && !cost.unknownOps.includes(op)) cost.unknownOps.push(op);
    for (const v of [...ins, ...(node.output ?? []).map((n) => values.get(n))]) {
      if (!v?.shape) continue;
      const b = prod(v.shape) * v.bytes;
      if (v.constant) cost.weightBytes += b;
      else cost.activationBytes += b;
    }
  }
  for (const o of g.output ?? []) cost.outputBytes += sizeOf(values.get(o.name ?? ''));
  return cost;
}

/** Output values of one node; adds its MACs to `cost`. undefined entries: unknown. */
function infer(op: string, ins: (Value | undefined)[], a: Map<string, AttributeProto>, cost: GraphCost): (Value | undefined)[] | undefined {
  const x = ins[0];
  const xs = x?.shape;
  const bytes = x?.bytes ?? 4;
  const out = (shape: number[] | undefined, extra: Partial<Value> = {}): Value[] => [{ shape, bytes, ...extra }];
  if (op === 'Constant') {
    const t = a.get('value')?.t;
    return t ? [constantValue(t)] : undefined;
  }
  if (UNARY.has(op)) return out(xs, { data: op === 'Identity' || op === 'Cast' ? x?.data : undefined, constant: x?.constant });
  if (BROADCAST.has(op)) {
    const shapes = ins.map((v) => v?.shape);
    return shapes.every((s) => s) ? out(broadcast(shapes as number[][]), { constant: ins.every((v) => v?.constant) }) : undefined;
  }
  if (!xs) return undefined;
  switch (op) {
    case 'Conv': {
      const w = ins[1]?.shape;
      if (!w) return undefined;
      const group = int(a, 'group', 1);
      const spatial = windowShape(xs, ints(a, 'kernel_shape') ?? w.slice(2), a, false);
      const y = [xs[0], w[0], ...spatial];
      const macs = prod(y) * prod(w.slice(1));
      cost.macs += macs;
      if (group > 1) cost.groupedMacs += macs;
      return out(y);
    }
    case 'ConvTranspose': {
      const w = ins[1]?.shape;
      if (!w) return undefined;
      const group = int(a, 'group', 1);
      const n = w.length - 2;
      const kernel = ints(a, 'kernel_shape') ?? w.slice(2);
      const strides = ints(a, 'strides') ?? Array(n).fill(1);
      const dil = ints(a, 'dilations') ?? Array(n).fill(1);
      const pads = ints(a, 'pads') ?? Array(2 * n).fill(0);
      const outPad = ints(a, 'output_padding') ?? Array(n).fill(0);
      const auto = str(a, 'auto_pad');
      const explicit = ints(a, 'output_shape');
      const spatial = kernel.map((k, i) =>
        explicit ? explicit[explicit.length - n + i] : auto === 'SAME_UPPER' || auto === 'SAME_LOWER' ? xs[2 + i] * strides[i] : strides[i] * (xs[2 + i] - 1) + outPad[i] + (k - 1) * dil[i] + 1 - pads[i] - pads[i + n],
      );
      const macs = prod(xs) * prod(w.slice(1));
      cost.macs += macs;
      if (group > 1) cost.groupedMacs += macs;
      return out([xs[0], w[1] * group, ...spatial]);
    }
    case 'Gemm': {
      const b = ins[1]?.shape;
      if (!b) return undefined;
      const [m, k] = int(a, 'transA', 0) ? [xs[1], xs[0]] : [xs[0], xs[1]];
      const n = int(a, 'transB', 0) ? b[0] : b[1];
      cost.macs += m * n * k;
      return out([m, n]);
    }
    case 'MatMul': {
      const b = ins[1]?.shape;
      if (!b) return undefined;
      const a2 = xs.length === 1 ? [1, xs[0]] : xs;
      const b2 = b.length === 1 ? [b[0], 1] : b;
      const y = [...broadcast([a2.slice(0, -2), b2.slice(0, -2)]), a2[a2.length - 2], b2[b2.length - 1]];
      cost.macs += prod(y) * a2[a2.length - 1];
      return out(xs.length === 1 ? y.filter((_, i) => i !== y.length - 2) : b.length === 1 ? y.slice(0, -1) : y);
    }
    case 'MaxPool':
    case 'AveragePool':
    case 'LpPool': {
      const kernel = ints(a, 'kernel_shape');
      if (!kernel) return undefined;
      return [{ shape: [xs[0], xs[1], ...windowShape(xs, kernel, a, int(a, 'ceil_mode', 0) === 1)], bytes }, undefined];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return out([xs[0], xs[1], ...xs.slice(2).map(() => 1)]);
    case 'Flatten': {
      const axis = (int(a, 'axis', 1) + xs.length) % (xs.length || 1);
      return out([prod(xs.slice(0, axis)), prod(xs.slice(axis))]);
    }
    case 'Concat': {
      const shapes = ins.map((v) => v?.shape);
      if (!shapes.every((s) => s)) return undefined;
      const axis = (int(a, 'axis', 0) + xs.length) % xs.length;
      const y = [...xs];
      y[axis] = (shapes as number[][]).reduce((s, sh) => s + sh[axis], 0);
      return out(y);
    }
    case 'Reshape': {
      const target = ins[1]?.data;
      if (!target) return undefined;
      const y = target.map((d, i) => (d === 0 && int(a, 'allowzero', 0) === 0 ? xs[i] : d));
      const known = prod(y.filter((d) => d !== -1));
      return out(y.map((d) => (d === -1 ? prod(xs) / known : d)));
    }
    case 'Transpose': {
      const perm = ints(a, 'perm') ?? xs.map((_, i) => xs.length - 1 - i);
      return out(perm.map((p) => xs[p]));
    }
    case 'Squeeze':
    case 'Unsqueeze': {
      const axes = ints(a, 'axes') ?? ins[1]?.data;
      if (op === 'Squeeze' && !axes) return out(xs.filter((d) => d !== 1));
      if (!axes) return undefined;
      if (op === 'Squeeze') {
        const drop = new Set(axes.map((ax) => (ax + xs.length) % xs.length));
        return out(xs.filter((_, i) => !drop.has(i)));
      }
      const rank = xs.length + axes.length;
      const add = new Set(axes.map((ax) => (ax + rank) % rank));
      const y: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) y.push(add.has(i) ? 1 : xs[j++]);
      return out(y);
    }
    case 'Resize':
    case 'Upsample': {
      const scales = op === 'Upsample' ? ins[1]?.data : ins[2]?.data;
      const sizes = op === 'Resize' ? ins[3]?.data : undefined;
      if (sizes && sizes.length === xs.length) return out(sizes);
      if (scales && scales.length === xs.length) return out(xs.map((d, i) => Math.floor(d * scales[i])));
      return undefined;
    }
    case 'Pad': {
      const pads = ins[1]?.data ?? ints(a, 'pads');
      if (!pads) return undefined;
      return out(xs.map((d, i) => d + pads[i] + pads[i + xs.length]));
    }
    default:
      if (REDUCE.has(op)) {
        const axes = ints(a, 'axes') ?? ins[1]?.data ?? xs.map((_, i) => i);
        const keep = int(a, 'keepdims', 1) === 1;
        const set = new Set(axes.map((ax) => (ax + xs.length) % xs.length));
        return out(keep ? xs.map((d, i) => (set.has(i) ? 1 : d)) : xs.filter((_, i) => !set.has(i)));
      }
      return undefined;
  }
}
