import { analyze, INPUT, type ArchitectureIR, type WeightMap } from '@marl-hpo/arch';
import { version } from '../package.json';
import { encodeModel } from './codec';
import { emitterOf, GraphBuilder } from './emitters';
import { attr } from './emitters/context';
import { OnnxExportError } from './errors';
import { DataType, type ModelProto, type TensorShapeDimension, type ValueInfoProto } from './types';

export const OPSET_VERSION = 17;
export const IR_VERSION = 8;
/** Graph input: float32 [N, C, H, W] (NCHW; transpose an NHWC batch with perm [0, 3, 1, 2]), N dynamic. */
export const INPUT_NAME = 'input';
/** Graph output: softmax over the class axis, [N, classes] or [N, classes, H, W] for segmentation. */
export const OUTPUT_NAME = 'probabilities';
export const BATCH_DIM = 'N';

export interface ExportOptions {
  /** The template configuration that produced the IR (stored as JSON in metadata 'configuration'). */
  configuration?: unknown;
  /** Measured metrics (accuracy, latencyMs, ...), stored as JSON in metadata 'metrics'. */
  metrics?: Record<string, number>;
  /** More metadata_props; keys must not clash with the ones the exporter writes. */
  metadata?: Record<string, string>;
  producerVersion?: string;
  docString?: string;
}

/** metadata_props keys the exporter writes. */
export const METADATA_KEYS = ['template', 'task', 'input_layout', 'architecture', 'configuration', 'metrics'] as const;

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function checkWeights(specs: { name: string; shape: number[] }[], weights: WeightMap): void {
  if (!weights || typeof weights !== 'object') throw new OnnxExportError('weights: expected an object of named tensors');
  const expected = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const w = weights[spec.name];
    if (!w) throw new OnnxExportError(`weights: missing '${spec.name}' [${spec.shape.join(', ')}]`);
    if (!Array.isArray(w.shape) || !sameShape(w.shape, spec.shape)) {
      throw new OnnxExportError(`weights: '${spec.name}' has shape [${w.shape}], the architecture needs [${spec.shape.join(', ')}]`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (!(w.data instanceof Float32Array) || w.data.length !== size) {
      throw new OnnxExportError(`weights: '${spec.name}' needs a Float32Array of ${size} values, got ${w.data?.length ?? 'none'}`);
    }
  }
  const extra = Object.keys(weights).filter((n) => !expected.has(n));
  if (extra.length) throw new OnnxExportError(`weights: '${extra[0]}' is not a weight of this architecture${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  const dim = dims.map((d): TensorShapeDimension => (typeof d === 'string' ? { dim_param: d } : { dim_value: BigInt(d) }));
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim } } } };
}

/**
 * The ONNX model of an architecture with its trained weights (tfjs NHWC layouts, named as arch's
 * weightSpecs): opset 17, NCHW graph, batch norm folded into the convs, dropout removed, softmax at the end.
 * Throws ArchError for an invalid IR and OnnxExportError for weights that do not fit it.
 */
export function buildOnnxModel(ir: ArchitectureIR, weights: WeightMap, opts: ExportOptions = {}): ModelProto {
  const analysis = analyze(ir);
  checkWeights(
    analysis.analyzed.flatMap((a) => a.weights),
    weights,
  );
  const own: Record<string, string> = {
    template: ir.template,
    task: ir.task,
    input_layout: 'NCHW',
    architecture: JSON.stringify(ir),
    ...(opts.configuration !== undefined ? { configuration: JSON.stringify(opts.configuration) } : {}),
    ...(opts.metrics !== undefined ? { metrics: JSON.stringify(opts.metrics) } : {}),
  };
  const clash = Object.keys(opts.metadata ?? {}).find((k) => (METADATA_KEYS as readonly string[]).includes(k));
  if (clash) throw new OnnxExportError(`metadata: key '${clash}' is written by the exporter`);

  const g = new GraphBuilder(weights, [INPUT_NAME, OUTPUT_NAME]);
  g.setValue(INPUT, INPUT_NAME);
  for (const layer of analysis.analyzed) {
    const emitter = emitterOf(layer.node.kind);
    if (!emitter) throw new OnnxExportError(`layer '${layer.node.name}': no ONNX emitter for kind '${layer.node.kind}'`);
    g.setValue(layer.node.name, emitter.emit(layer, g));
  }
  const logits = g.value(analysis.analyzed[analysis.analyzed.length - 1].node.name);
  g.nodes.push({ input: [logits], output: [OUTPUT_NAME], name: 'softmax', op_type: 'Softmax', attribute: [attr.int('axis', 1)] });

  const [h, w, c] = ir.input;
  const out = ir.task === 'segmentation' ? [BATCH_DIM, ir.classes, h, w] : [BATCH_DIM, ir.classes];
  return {
    ir_version: BigInt(IR_VERSION),
    opset_import: [{ domain: '', version: BigInt(OPSET_VERSION) }],
    producer_name: 'marl-hpo',
    producer_version: opts.producerVersion ?? version,
    ...(opts.docString ? { doc_string: opts.docString } : {}),
    graph: {
      name: ir.template,
      doc_string:
        `${ir.task} model from template '${ir.template}'. Input '${INPUT_NAME}': float32 [N, ${c}, ${h}, ${w}] (NCHW). ` +
        `Output '${OUTPUT_NAME}': softmax over the ${ir.classes} classes (axis 1).`,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(INPUT_NAME, [BATCH_DIM, c, h, w])],
      output: [valueInfo(OUTPUT_NAME, out)],
    },
    metadata_props: Object.entries({ ...opts.metadata, ...own }).map(([key, value]) => ({ key, value })),
  };
}

/** `buildOnnxModel` serialised: the bytes of a .onnx file. */
export function exportOnnx(ir: ArchitectureIR, weights: WeightMap, opts: ExportOptions = {}): Uint8Array {
  return encodeModel(buildOnnxModel(ir, weights, opts));
}
