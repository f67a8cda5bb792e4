import { ArchError } from './errors';
import type { ArchitectureIR, ArchitectureSummary, LayerInfo, Node, Shape } from './ir';
import { nodeDef } from './nodes';
import type { WeightSpec } from './nodes/node-def';

/** The name by which layers refer to the model input. */
export const INPUT = 'input';

/** One layer with its resolved inputs, shapes, weights and cost. */
export interface AnalyzedLayer {
  node: Node;
  /** Names of the layers (or INPUT) this layer reads, in order. */
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  weights: WeightSpec[];
  params: number;
  macs: number;
}

export interface Analysis extends ArchitectureSummary {
  analyzed: AnalyzedLayer[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Validates the IR and infers every layer's shapes, weights, parameters and MACs.
 * Throws ArchError naming the layer for anything that cannot be built.
 */
export function analyze(ir: ArchitectureIR): Analysis {
  const input = ir.input;
  if (!Array.isArray(input) || input.length !== 3 || !input.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ArchError(`input: expected [H, W, C] of positive integers, got ${JSON.stringify(input)}`);
  }
  if (!Number.isInteger(ir.classes) || ir.classes < 1) throw new ArchError(`classes: expected a positive integer, got ${JSON.stringify(ir.classes)}`);
  if (!Array.isArray(ir.layers) || ir.layers.length === 0) throw new ArchError('layers: the architecture has no layers');

  const shapes = new Map<string, Shape>([[INPUT, input]]);
  const analyzed: AnalyzedLayer[] = [];
  let previous = INPUT;
  ir.layers.forEach((node, i) => {
    if (!node || typeof node.name !== 'string' || node.name === '') throw new ArchError(`layers[${i}]: missing name`);
    if (shapes.has(node.name)) throw new ArchError(`layers[${i}]: duplicate layer name '${node.name}'`);
    const def = nodeDef(node);
    if (!def) throw new ArchError(`layer '${node.name}': unknown kind '${(node as { kind?: unknown }).kind}'`);
    const inputs = def.inputs ? def.inputs(node, previous) : [previous];
    const inputShapes = inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) throw new ArchError(`layer '${node.name}' (${node.kind}): reads '${name}', which is not an earlier layer`);
      return s;
    });
    const outputShape = def.outputShape(node, inputShapes);
    const weights = def.weights(node, inputShapes);
    const params = weights.filter((w) => w.trainable).reduce((sum, w) => sum + size(w.shape), 0);
    analyzed.push({ node, inputs, inputShapes, outputShape, weights, params, macs: def.macs(node, inputShapes, outputShape) });
    shapes.set(node.name, outputShape);
    previous = node.name;
  });

  const outputShape = analyzed[analyzed.length - 1].outputShape;
  const expected = ir.task === 'segmentation' ? [input[0], input[1], ir.classes] : [ir.classes];
  if (ir.task !== 'segmentation' && ir.task !== 'classification') throw new ArchError(`task: expected 'classification' or 'segmentation', got ${JSON.stringify(ir.task)}`);
  if (outputShape.join() !== expected.join()) {
    throw new ArchError(`output: a ${ir.task} model must end with shape [${expected.join(', ')}], got [${outputShape.join(', ')}]`);
  }
  const layers: LayerInfo[] = analyzed.map((a) => ({ name: a.node.name, kind: a.node.kind, outputShape: a.outputShape, params: a.params, macs: a.macs }));
  return {
    analyzed,
    layers,
    outputShape,
    params: layers.reduce((s, l) => s + l.params, 0),
    macs: layers.reduce((s, l) => s + l.macs, 0),
  };
}

/** Layer table, output shape, total parameters and MACs. */
export function summarize(ir: ArchitectureIR): ArchitectureSummary {
  const { layers, outputShape, params, macs } = analyze(ir);
  return { layers, outputShape, params, macs };
}

/** Every weight tensor of the model in layer order (tfjs NHWC layouts; see nodes/node-def.ts). */
export function weightSpecs(ir: ArchitectureIR): WeightSpec[] {
  return analyze(ir).analyzed.flatMap((a) => a.weights);
}

/** Weights by name, as the trainer produces them and the ONNX exporter consumes them. */
export type WeightMap = Record<string, { shape: number[]; data: Float32Array }>;
