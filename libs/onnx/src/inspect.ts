import fs from 'node:fs';
import { decodeModel } from './codec';
import { OnnxError } from './errors';
import { DataType, type GraphProto, type ModelProto, type TensorShapeProto, type TypeProto, type ValueInfoProto } from './types';

export interface ValueSummary {
  name: string;
  /** TensorProto.DataType name ('FLOAT'); 'seq(FLOAT)', 'map(INT64,FLOAT)', 'optional(..)', 'sparse_tensor(..)', 'opaque(..)' otherwise. */
  elemType: string;
  /** Dimensions: a number, the dim_param string of a dynamic dimension, or null if unknown; null if the rank is unknown. */
  shape: (number | string | null)[] | null;
}

/** What `marl-hpo onnx inspect --json` prints; the keys are part of the CLI's contract. */
export interface OnnxSummary {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  /** Graph inputs that are not initializers (older IRs list weights as inputs too). */
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Nodes per op type over the graph and its subgraphs (If/Loop/Scan bodies); ops outside ai.onnx are keyed 'domain.Op'. */
  opCounts: Record<string, number>;
  /** Initializers (dense and sparse) over the graph and its subgraphs. */
  initializers: number;
  /** Elements of those initializers. */
  params: number;
  metadata: Record<string, string>;
}

const dataTypeNames = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k])) as Record<number, string>;
const typeName = (t: number | undefined) => dataTypeNames[t ?? 0] ?? `DATA_TYPE_${t}`;

function elemType(tp: TypeProto | undefined): string {
  if (!tp) return 'UNDEFINED';
  if (tp.tensor_type) return typeName(tp.tensor_type.elem_type);
  if (tp.sparse_tensor_type) return `sparse_tensor(${typeName(tp.sparse_tensor_type.elem_type)})`;
  if (tp.sequence_type) return `seq(${elemType(tp.sequence_type.elem_type)})`;
  if (tp.map_type) return `map(${typeName(tp.map_type.key_type)},${elemType(tp.map_type.value_type)})`;
  if (tp.optional_type) return `optional(${elemType(tp.optional_type.elem_type)})`;
  if (tp.opaque_type) return `opaque(${[tp.opaque_type.domain, tp.opaque_type.name].filter(Boolean).join('.')})`;
  return 'UNDEFINED';
}

function shapeOf(shape: TensorShapeProto | undefined): ValueSummary['shape'] {
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => (d.dim_value !== undefined ? Number(d.dim_value) : (d.dim_param ?? null)));
}

function valueSummary(v: ValueInfoProto): ValueSummary {
  const t = v.type?.tensor_type ?? v.type?.sparse_tensor_type;
  return { name: v.name ?? '', elemType: elemType(v.type), shape: shapeOf(t?.shape) };
}

/** The graph and every subgraph held in node attributes, depth first. */
function* graphsOf(g: GraphProto): Generator<GraphProto> {
  yield g;
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.g) yield* graphsOf(a.g);
      for (const sub of a.graphs ?? []) yield* graphsOf(sub);
    }
  }
}

const count = (dims: bigint[] | undefined) => (dims ?? []).reduce((p, d) => p * Number(d), 1);

/** Summary of any ONNX model (ours or not). */
export function summarizeModel(model: ModelProto): OnnxSummary {
  const graph = model.graph ?? {};
  const opCounts: Record<string, number> = {};
  let initializers = 0;
  let params = 0;
  for (const g of graphsOf(graph)) {
    for (const n of g.node ?? []) {
      const key = !n.domain || n.domain === 'ai.onnx' ? (n.op_type ?? '') : `${n.domain}.${n.op_type ?? ''}`;
      opCounts[key] = (opCounts[key] ?? 0) + 1;
    }
    for (const dims of [...(g.initializer ?? []), ...(g.sparse_initializer ?? [])].map((t) => t.dims)) {
      initializers++;
      params += count(dims);
    }
  }
  const initNames = new Set([...(graph.initializer ?? []).map((t) => t.name), ...(graph.sparse_initializer ?? []).map((s) => s.values?.name)]);
  return {
    irVersion: Number(model.ir_version ?? 0n),
    opsetImports: (model.opset_import ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0n) })),
    producerName: model.producer_name ?? '',
    inputs: (graph.input ?? []).filter((v) => !initNames.has(v.name)).map(valueSummary),
    outputs: (graph.output ?? []).map(valueSummary),
    opCounts,
    initializers,
    params,
    metadata: Object.fromEntries((model.metadata_props ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}

/** Reads and decodes an ONNX file; a missing, unreadable, truncated or non-ONNX file throws a one-line OnnxError. */
export function readOnnxFile(file: string): ModelProto {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new OnnxError(`${file}: cannot read (${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message})`);
  }
  return decodeModel(bytes, file);
}
