import type { Activation, AnalyzedLayer, Node, NodeKind } from '@marl-hpo/arch';
import { OnnxExportError } from '../errors';
import { floatTensor } from '../tensor';
import { AttributeType, type AttributeProto, type NodeProto, type TensorProto } from '../types';

/** What an emitter sees: the graph being built and the model's weights (already checked against the IR). */
export interface EmitContext {
  /** The ONNX value holding a layer's output (or the model input, 'input'). */
  value(layer: string): string;
  /** A weight by its tfjs name, e.g. 'c1/kernel', in its tfjs (NHWC) layout. */
  weight(name: string): { shape: number[]; data: Float32Array };
  /** Adds a float initializer; returns its (unique) name. */
  initializer(name: string, dims: number[], data: Float32Array): string;
  /** Adds a node with one output named after `name` (made unique); returns the output's name. */
  node(opType: string, inputs: string[], name: string, attributes?: AttributeProto[]): string;
}

/** The node type whose kind includes K (PoolNode carries two kinds). */
type NodeOf<K extends NodeKind> = Node extends infer N ? (N extends { kind: infer NK } ? (K extends NK ? N : never) : never) : never;

/** An analyzed layer (arch's shapes and resolved inputs) of kind K. */
export type LayerOf<K extends NodeKind> = Omit<AnalyzedLayer, 'node'> & { node: NodeOf<K> };

/** Emits the ONNX nodes of one IR node kind (one file per kind, listed in emitters/index.ts). */
export interface Emitter<K extends NodeKind = NodeKind> {
  kind: K;
  /** Returns the ONNX value holding the layer's output, [N, C, H, W] or [N, features]. */
  emit(layer: LayerOf<K>, ctx: EmitContext): string;
}

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i: BigInt(i) }),
  ints: (name: string, ints: number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: ints.map(BigInt) }),
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): AttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: TensorProto): AttributeProto => ({ name, type: AttributeType.TENSOR, t }),
};

const activationOps: Record<Activation, string | undefined> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', linear: undefined };

/** Applies a layer's activation ('linear' adds nothing); `name` is the layer (or branch) name. */
export function activate(ctx: EmitContext, x: string, activation: Activation, name: string): string {
  if (!Object.prototype.hasOwnProperty.call(activationOps, activation)) {
    throw new OnnxExportError(`layer '${name}': unknown activation '${activation}' (expected ${Object.keys(activationOps).join(', ')})`);
  }
  const op = activationOps[activation];
  return op ? ctx.node(op, [x], `${name}/${activation}`) : x;
}

/** Collects nodes and initializers with unique names. */
export class GraphBuilder implements EmitContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly values = new Map<string, string>();

  constructor(
    private readonly weights: Record<string, { shape: number[]; data: Float32Array }>,
    reserved: string[],
  ) {
    for (const r of reserved) this.used.add(r);
  }

  unique(name: string): string {
    let n = name;
    for (let i = 1; this.used.has(n); i++) n = `${name}_${i}`;
    this.used.add(n);
    return n;
  }

  setValue(layer: string, value: string): void {
    this.values.set(layer, value);
  }

  value(layer: string): string {
    const v = this.values.get(layer);
    if (v === undefined) throw new Error(`no ONNX value for layer '${layer}'`);
    return v;
  }

  weight(name: string): { shape: number[]; data: Float32Array } {
    const w = this.weights[name];
    if (!w) throw new Error(`weight '${name}' missing (checked before emitting, so this is a bug)`);
    return w;
  }

  initializer(name: string, dims: number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push(floatTensor(unique, dims, data));
    return unique;
  }

  node(opType: string, inputs: string[], name: string, attributes: AttributeProto[] = []): string {
    const out = this.unique(name);
    this.nodes.push({ input: inputs, output: [out], name: out, op_type: opType, ...(attributes.length ? { attribute: attributes } : {}) });
    return out;
  }
}
