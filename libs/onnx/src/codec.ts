import { Root, type Field, type Type } from 'protobufjs/light';
import schema from './generated/onnx-proto.json';
import { OnnxFormatError } from './errors';
import type { MessageTypes, ModelProto } from './types';

/** onnx.proto3 compiled by tools/onnx-schema.mjs (a JSON descriptor bundles; a .proto read at run time would not). */
const root = Root.fromJSON(schema);
root.resolveAll();

const typeCache = new Map<string, Type>();
function messageType(name: string): Type {
  let t = typeCache.get(name);
  if (!t) typeCache.set(name, (t = root.lookupType(`onnx.${name}`)));
  return t;
}

const SIGNED_64 = new Set(['int64', 'sint64', 'sfixed64']);
const UNSIGNED_64 = new Set(['uint64', 'fixed64']);
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

interface LongLike {
  low: number;
  high: number;
}

function toBigInt(v: number | LongLike, unsigned: boolean): bigint {
  const bits = typeof v === 'number' ? BigInt(v) : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
}

/** protobufjs's writer takes {low, high} for 64-bit values; a bigint is split into its two's-complement halves. */
function toLongBits(v: unknown, path: string): LongLike | number {
  if (typeof v === 'bigint') {
    const u = BigInt.asUintN(64, v);
    return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new TypeError(`${path}: expected a bigint or a safe integer, got ${String(v)}`);
}

function plainValue(field: Field, v: unknown): unknown {
  const rt = field.resolvedType;
  if (rt && 'fieldsArray' in rt) return toPlain(rt as Type, v as Record<string, unknown>);
  if (SIGNED_64.has(field.type)) return toBigInt(v as number | LongLike, false);
  if (UNSIGNED_64.has(field.type)) return toBigInt(v as number | LongLike, true);
  if (field.type === 'bytes') {
    const b = v as Uint8Array;
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  return v;
}

/** A decoded protobufjs message -> plain object (see types.ts for the representation). */
function toPlain(type: Type, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    if (field.repeated) out[field.name] = ((v as unknown[] | undefined) ?? []).map((x) => plainValue(field, x));
    else if (has(msg, field.name) && v != null) out[field.name] = plainValue(field, v);
  }
  return out;
}

function wireValue(field: Field, v: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt && 'fieldsArray' in rt) return toWire(rt as Type, v, path);
  if (SIGNED_64.has(field.type) || UNSIGNED_64.has(field.type)) return toLongBits(v, path);
  if (field.type === 'bytes' && !(v instanceof Uint8Array)) throw new TypeError(`${path}: expected a Uint8Array`);
  return v;
}

/** A plain object -> what protobufjs's encoder takes; unknown keys are a bug and throw. */
function toWire(type: Type, obj: unknown, path: string): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null) throw new TypeError(`${path}: expected a ${type.name} object`);
  const src = obj as Record<string, unknown>;
  for (const k of Object.keys(src)) if (!type.fields[k]) throw new TypeError(`${path}: ${type.name} has no field '${k}'`);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = src[field.name];
    if (v == null) continue;
    const p = `${path}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new TypeError(`${p}: expected an array`);
      out[field.name] = v.map((x, i) => wireValue(field, x, `${p}[${i}]`));
    } else out[field.name] = wireValue(field, v, p);
  }
  return out;
}

/** Serialises one message of onnx.proto3 (fields in field-number order, as protobuf's C++ writer does). */
export function encodeMessage<K extends keyof MessageTypes>(typeName: K, message: MessageTypes[K]): Uint8Array {
  const type = messageType(typeName);
  const b = type.encode(toWire(type, message, typeName)).finish();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Parses one message of onnx.proto3; throws protobufjs's error on malformed bytes. */
export function decodeMessage<K extends keyof MessageTypes>(typeName: K, bytes: Uint8Array): MessageTypes[K] {
  const type = messageType(typeName);
  return toPlain(type, type.decode(bytes) as unknown as Record<string, unknown>) as MessageTypes[K];
}

export function encodeModel(model: ModelProto): Uint8Array {
  return encodeMessage('ModelProto', model);
}

/**
 * Parses an ONNX model. Malformed protobuf, or a message without the fields every ONNX model has
 * (ir_version, graph), throws OnnxFormatError naming `source` (a file name, for the CLI's one-line error).
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError(source, 'empty file');
  let model: ModelProto;
  try {
    model = decodeMessage('ModelProto', bytes);
  } catch (e) {
    throw new OnnxFormatError(source, `truncated or not protobuf: ${(e as Error).message}`);
  }
  if (model.ir_version === undefined || model.ir_version <= 0n) throw new OnnxFormatError(source, 'no ir_version');
  if (!model.graph) throw new OnnxFormatError(source, 'no graph');
  return model;
}

/** Enum names -> values of the schema, e.g. schemaEnum('TensorProto.DataType'). */
export function schemaEnum(name: string): Record<string, number> {
  return root.lookupEnum(`onnx.${name}`).values;
}
