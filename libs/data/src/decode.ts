/** Image and mask decoding with sharp, plus raw-pixel resampling for the non-file sources. */
import sharp from 'sharp';
import { BadFile } from './errors';

export type Shape = [number, number, number];

/** 'truncated': fail on damaged data, tolerate the harmless warnings that real-world files often raise. */
const SHARP_INPUT = { failOn: 'truncated' } as const;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ImageInfo {
  width: number;
  height: number;
  /** False for greyscale images (with or without alpha). */
  colour: boolean;
  depth: string;
}

/** Names truncation from the container itself: libvips' error text is process-global and can belong to another decode running at the same time. */
function truncation(buf: Buffer): string | undefined {
  if (buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return buf.subarray(-12).includes('IEND') ? undefined : 'truncated PNG (no IEND chunk)';
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    let end = buf.length;
    while (end > 2 && buf[end - 1] === 0) end--;
    return buf[end - 2] === 0xff && buf[end - 1] === 0xd9 ? undefined : 'truncated JPEG (no end-of-image marker)';
  }
  if (buf.subarray(0, 4).toString('latin1') === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP' && buf.length >= 12) {
    return buf.readUInt32LE(4) + 8 > buf.length ? 'truncated WebP' : undefined;
  }
  return undefined;
}

function decodeFailure(file: string, buf: Buffer, e: unknown): BadFile {
  if (buf.length === 0) return new BadFile(file, 'empty file');
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  if (/unsupported image format/i.test(msg)) return new BadFile(file, 'not an image in a supported format (png, jpg, webp)');
  return new BadFile(file, truncation(buf) ?? `corrupt image (${msg})`);
}

/** PNG facts straight from IHDR: saves a sharp call per image, which is most of the cost for small PNGs. */
export function pngInfo(buf: Buffer): ImageInfo | undefined {
  if (buf.length < 33 || !buf.subarray(0, 8).equals(PNG_SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const bitDepth = buf[24];
  const colourType = buf[25];
  if (!width || !height || ![0, 2, 3, 4, 6].includes(colourType)) return undefined;
  // Types 0 and 4 are grey (+ alpha); palette images (3) count as colour, as libvips treats them.
  return { width, height, colour: colourType !== 0 && colourType !== 4, depth: bitDepth === 16 ? 'ushort' : 'uchar' };
}

/** Header-only read; a file sharp cannot even identify fails here. */
export async function imageInfo(buf: Buffer, file: string): Promise<ImageInfo> {
  const png = pngInfo(buf);
  if (png) return png;
  try {
    const m = await sharp(buf, SHARP_INPUT).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height, colour: !(m.space === 'b-w' || m.space === 'grey16'), depth: m.depth ?? 'uchar' };
  } catch (e) {
    throw decodeFailure(file, buf, e);
  }
}

/** The shape a dataset gets from its first image when none is configured. */
export function shapeOf(info: ImageInfo): Shape {
  return [info.height, info.width, info.colour ? 3 : 1];
}

/**
 * Decodes to H*W*C uint8 (alpha dropped, resized to H x W with sharp's default Lanczos3).
 * A colour image in a greyscale dataset is a "wrong channel count" unless the user asked for
 * C = 1 explicitly (`colourToGrey`), in which case it becomes grey with PIL's convert('L') luma.
 */
export async function decodeImage(buf: Buffer, file: string, info: ImageInfo, [H, W, C]: Shape, colourToGrey: boolean): Promise<Uint8Array> {
  if (C === 1 && info.colour && !colourToGrey) {
    throw new BadFile(file, 'wrong channel count: colour image in a greyscale dataset (set shape [H, W, 1] to convert colour to grey)');
  }
  let data: Buffer;
  try {
    let p = sharp(buf, SHARP_INPUT).removeAlpha();
    if (info.width !== W || info.height !== H) p = p.resize(W, H, { fit: 'fill' });
    p = p.toColourspace(C === 1 && !info.colour ? 'b-w' : 'srgb');
    data = await p.raw({ depth: 'uchar' }).toBuffer();
  } catch (e) {
    throw decodeFailure(file, buf, e);
  }
  const channels = data.length / (H * W);
  return toChannels(data, channels, C);
}

/**
 * Decodes a mask to H*W uint8 class ids (nearest-neighbour resize). Without a palette the mask
 * holds class indices (greyscale, or colour with R = G = B); with one, each [r, g, b] maps to its index.
 */
export async function decodeMask(
  buf: Buffer,
  file: string,
  image: { width: number; height: number },
  [H, W]: Shape,
  palette: Map<number, number> | undefined,
  numClasses: number | undefined,
): Promise<Uint8Array> {
  const info = await imageInfo(buf, file);
  if (info.width !== image.width || info.height !== image.height) {
    throw new BadFile(file, `mask is ${info.width}x${info.height} but its image is ${image.width}x${image.height}`);
  }
  if (info.depth !== 'uchar') throw new BadFile(file, `mask has ${info.depth} samples; save masks as 8-bit PNG`);
  let data: Buffer;
  try {
    let p = sharp(buf, SHARP_INPUT).removeAlpha();
    if (info.width !== W || info.height !== H) p = p.resize(W, H, { fit: 'fill', kernel: 'nearest' });
    p = p.toColourspace(info.colour || palette ? 'srgb' : 'b-w');
    data = await p.raw({ depth: 'uchar' }).toBuffer();
  } catch (e) {
    throw decodeFailure(file, buf, e);
  }
  const n = H * W;
  const out = new Uint8Array(n);
  if (data.length === n) {
    out.set(data);
  } else if (palette) {
    for (let i = 0; i < n; i++) {
      const rgb = (data[i * 3] << 16) | (data[i * 3 + 1] << 8) | data[i * 3 + 2];
      const id = palette.get(rgb);
      if (id === undefined) {
        throw new BadFile(file, `colour #${rgb.toString(16).padStart(6, '0')} at (${i % W}, ${Math.floor(i / W)}) is not in the palette`);
      }
      out[i] = id;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const r = data[i * 3];
      if (data[i * 3 + 1] !== r || data[i * 3 + 2] !== r) {
        throw new BadFile(file, 'wrong channel count: colour mask without a palette (index masks have one channel)');
      }
      out[i] = r;
    }
  }
  if (numClasses !== undefined) {
    for (let i = 0; i < n; i++) {
      if (out[i] >= numClasses) throw new BadFile(file, `label ${out[i]} out of range (${numClasses} classes) at (${i % W}, ${Math.floor(i / W)})`);
    }
  }
  return out;
}

/** Resizes raw uint8 pixels (h x w x c) to the target shape; used by idx: and builtin:mnist. */
export async function resampleRaw(src: Uint8Array, h: number, w: number, c: number, [H, W, C]: Shape): Promise<Uint8Array> {
  let data: Uint8Array = src;
  if (h !== H || w !== W) {
    data = await sharp(Buffer.from(src.buffer, src.byteOffset, src.byteLength), { raw: { width: w, height: h, channels: c as 1 | 3 } })
      .resize(W, H, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer();
    c = data.length / (H * W);
  }
  return toChannels(data, c, C);
}

/** Grey <-> RGB. RGB -> grey uses PIL's convert('L') fixed-point ITU-R 601-2 luma, so numbers match PIL/torchvision. */
export function toChannels(data: Uint8Array, from: number, to: number): Uint8Array {
  if (from === to) return data;
  const n = data.length / from;
  const out = new Uint8Array(n * to);
  if (from === 1 && to === 3) {
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = data[i];
  } else if (from === 3 && to === 1) {
    for (let i = 0; i < n; i++) out[i] = (data[i * 3] * 19595 + data[i * 3 + 1] * 38470 + data[i * 3 + 2] * 7471 + 0x8000) >>> 16;
  } else {
    throw new Error(`cannot convert ${from} channels to ${to}`);
  }
  return out;
}
