import { DataType, type TensorProto } from './types';

export type TensorValues =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[];

/** Element type -> typed array (FLOAT16/BFLOAT16: raw bits; COMPLEX: interleaved re, im; BOOL: 0/1 bytes). */
const arrays: Record<number, { new (n: number): Exclude<TensorValues, Uint8Array[]>; BYTES_PER_ELEMENT: number }> = {
  [DataType.FLOAT]: Float32Array,
  [DataType.UINT8]: Uint8Array,
  [DataType.INT8]: Int8Array,
  [DataType.UINT16]: Uint16Array,
  [DataType.INT16]: Int16Array,
  [DataType.INT32]: Int32Array,
  [DataType.INT64]: BigInt64Array,
  [DataType.BOOL]: Uint8Array,
  [DataType.FLOAT16]: Uint16Array,
  [DataType.DOUBLE]: Float64Array,
  [DataType.UINT32]: Uint32Array,
  [DataType.UINT64]: BigUint64Array,
  [DataType.COMPLEX64]: Float32Array,
  [DataType.COMPLEX128]: Float64Array,
  [DataType.BFLOAT16]: Uint16Array,
};

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The values of a tensor held in the model (raw_data, little-endian per the ONNX spec, or the typed
 * field its element type uses). Tensors with external data are not loaded: that throws.
 */
export function tensorValues(t: TensorProto): TensorValues {
  const type = t.data_type ?? DataType.UNDEFINED;
  if (t.data_location === 1) throw new Error(`tensor '${t.name ?? ''}': data is stored in an external file`);
  if (type === DataType.STRING) return t.string_data ?? [];
  const Ctor = arrays[type];
  if (!Ctor) throw new Error(`tensor '${t.name ?? ''}': unsupported data_type ${type}`);
  if (t.raw_data && t.raw_data.byteLength > 0) {
    if (!littleEndian) throw new Error('tensorValues: big-endian hosts are not supported');
    const n = t.raw_data.byteLength / Ctor.BYTES_PER_ELEMENT;
    const out = new Ctor(n);
    new Uint8Array(out.buffer).set(t.raw_data);
    return out;
  }
  // Typed fields (onnx.proto3 comments): which field holds each element type.
  switch (type) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return Float32Array.from(t.float_data ?? []);
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return Float64Array.from(t.double_data ?? []);
    case DataType.INT64:
      return BigInt64Array.from(t.int64_data ?? []);
    case DataType.UINT32:
      return Uint32Array.from((t.uint64_data ?? []).map(Number));
    case DataType.UINT64:
      return BigUint64Array.from(t.uint64_data ?? []);
    default: {
      // int32_data holds INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16 and BFLOAT16 (the last two as bits).
      const src = t.int32_data ?? [];
      const out = new Ctor(src.length) as Exclude<TensorValues, Uint8Array[] | BigInt64Array | BigUint64Array>;
      for (let i = 0; i < src.length; i++) out[i] = src[i];
      return out;
    }
  }
}

/** A FLOAT tensor with its data in raw_data (compact, and how exporters commonly write weights). */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  if (!littleEndian) throw new Error('floatTensor: big-endian hosts are not supported');
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`tensor '${name}': ${data.length} values for dims [${dims.join(', ')}]`);
  return {
    name,
    dims: dims.map(BigInt),
    data_type: DataType.FLOAT,
    // A view, not a copy: encoding copies it into the model bytes.
    raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** An INT64 tensor (shapes for Reshape and friends) in int64_data. */
export function int64Tensor(name: string, values: number[]): TensorProto {
  return { name, dims: [BigInt(values.length)], data_type: DataType.INT64, int64_data: values.map(BigInt) };
}
