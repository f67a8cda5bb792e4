/**
 * ONNX models saved with external data keep their weights in files beside the model
 * (`external_data` location, offset, length). Backends receive bytes, and onnxruntime resolves
 * such locations against the working directory for a model loaded from bytes, so the profiler
 * reads them from the model's own folder and inlines them: every backend, local or remote,
 * gets one self-contained model.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { decodeModel, encodeModel, type GraphProto, type TensorProto } from '@marl-hpo/onnx';
import { ProfilerError } from './errors';

const EXTERNAL = 1;
/** A protobuf message (the inlined model) cannot exceed 2 GiB. */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Every tensor of a graph: initializers and node attributes, subgraphs included. */
export function* tensorsOf(g: GraphProto | undefined): Generator<TensorProto> {
  if (!g) return;
  yield* g.initializer ?? [];
  for (const node of g.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.t) yield a.t;
      yield* a.tensors ?? [];
      yield* tensorsOf(a.g);
      for (const sub of a.graphs ?? []) yield* tensorsOf(sub);
    }
  }
}

async function readRange(file: string, offset: number, length: number | undefined, shown: string): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfilerError(`${shown}: cannot read (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  }
  try {
    const size = (await fh.stat()).size;
    const n = length ?? size - offset;
    if (offset + n > size) throw new ProfilerError(`${shown}: ${size} bytes, but the model reads ${n} bytes at offset ${offset}`);
    if (n > MAX_MODEL_BYTES) throw new ProfilerError(`${shown}: ${n} bytes of weights; the profiler loads models as one protobuf of at most 2 GiB`);
    const buf = Buffer.alloc(n);
    for (let done = 0; done < n; ) {
      const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) throw new ProfilerError(`${shown}: ended at byte ${offset + done} while reading ${n} bytes at offset ${offset}`);
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** The first tensor whose data is in an external file, if any. */
export function externalTensor(g: GraphProto | undefined): TensorProto | undefined {
  for (const t of tensorsOf(g)) if (t.data_location === EXTERNAL) return t;
  return undefined;
}

/**
 * The model at `file` with every external tensor's data read from the model's folder and
 * inlined. Models without external data come back unchanged (the same bytes).
 */
export async function inlineExternalData(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  // The key 'location' is in every external_data entry: without it there is nothing to decode.
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('location')) return bytes;
  let model;
  try {
    model = decodeModel(bytes, file);
  } catch {
    return bytes; // the backend says what is wrong with it
  }
  const dir = path.dirname(path.resolve(file));
  let changed = false;
  let total = bytes.length;
  for (const t of tensorsOf(model.graph)) {
    if (t.data_location !== EXTERNAL) continue;
    const entry = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entry.get('location');
    const where = `${file}: tensor '${t.name ?? ''}'`;
    if (!location) throw new ProfilerError(`${where}: external data without a location`);
    const resolved = path.resolve(dir, location);
    const inside = path.relative(dir, resolved);
    if (path.isAbsolute(location) || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new ProfilerError(`${where}: external data location '${location}' is outside the model's folder ${dir}`);
    }
    const offset = Number(entry.get('offset') ?? 0);
    const length = entry.has('length') ? Number(entry.get('length')) : undefined;
    if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
      throw new ProfilerError(`${where}: bad external data offset/length (${entry.get('offset')}, ${entry.get('length')})`);
    }
    t.raw_data = await readRange(resolved, offset, length, `${resolved} (external data of ${where.slice(file.length + 2)} in ${file})`);
    total += t.raw_data.length;
    if (total > MAX_MODEL_BYTES) throw new ProfilerError(`${file}: with its external data the model exceeds 2 GiB, the most the profiler can load as one protobuf`);
    t.external_data = [];
    t.data_location = 0;
    changed = true;
  }
  return changed ? encodeModel(model) : bytes;
}
