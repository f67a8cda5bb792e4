/** Image and mask decoding with sharp, plus raw-pixel resampling for the non-file sources. */
import sharp from 'sharp';
import { BadFile, DataError } from './errors';
import type { Conversions } from './types';

export type Shape = [number, number, number];

/** 'truncated': fail on damaged data, tolerate the harmless warnings that real-world files often raise. */
const SHARP_INPUT = { failOn: 'truncated' } as const;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ImageInfo {
  width: number;
  height: number;
  /** False for greyscale images (with or without alpha) by their header; a colour file may still hold grey pixels. */
  colour: boolean;
  alpha: boolean;
  depth: string;
}

/** What was done to an image to fit the dataset's shape, one count each in `data inspect`. */
export type Conversion = keyof Conversions;
export const CONVERSIONS: readonly Conversion[] = ['greyToRgb', 'colourToGrey', 'alphaDropped', 'resized'];

/**
 * Largest channel spread (max - min of R, G, B) a pixel of a "grey" colour file may have:
 * lossy WebP of grey pixels decodes with a spread of up to 1 (measured with libwebp through sharp), JPEG with 0.
 */
export const GREY_SPREAD = 1;

/**
 * Largest image a dataset may have (values per image, H * W * C): 4096 x 4096 x 3. The cache
 * buffers and every training batch are sized from it, so a huge shape would take all memory.
 */
export const MAX_IMAGE_VALUES = 4096 * 4096 * 3;

/** Refuses a shape above MAX_IMAGE_VALUES; `what` (ending in a space) says where it came from, `hint` what to do. */
export function checkImageSize([H, W, C]: Shape, what: string, hint = ''): void {
  if (H * W * C > MAX_IMAGE_VALUES) {
    throw new DataError(`${what}[${H}, ${W}, ${C}] is ${H * W * C} values per image, more than the limit of ${MAX_IMAGE_VALUES} (4096x4096x3)${hint}`);
  }
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
  return { width, height, colour: colourType !== 0 && colourType !== 4, alpha: colourType === 4 || colourType === 6 || hasTrns(buf), depth: bitDepth === 16 ? 'ushort' : 'uchar' };
}

/** A tRNS chunk before the image data gives a PNG an alpha channel (libvips adds one). */
function hasTrns(buf: Buffer): boolean {
  for (let pos = 8; pos + 8 <= buf.length; ) {
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    if (kind === 'tRNS') return true;
    if (kind === 'IDAT' || kind === 'IEND') return false;
    pos += 12 + buf.readUInt32BE(pos);
  }
  return false;
}

/** Header-only read; a file sharp cannot even identify fails here. */
export async function imageInfo(buf: Buffer, file: string): Promise<ImageInfo> {
  const png = pngInfo(buf);
  if (png) return png;
  try {
    const m = await sharp(buf, SHARP_INPUT).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    return { width: m.width, height: m.height, colour: !(m.space === 'b-w' || m.space === 'grey16'), alpha: Boolean(m.hasAlpha), depth: m.depth ?? 'uchar' };
  } catch (e) {
    throw decodeFailure(file, buf, e);
  }
}

/**
 * True when every pixel of a colour file is grey within GREY_SPREAD (a grey picture saved as
 * WebP, which has no grey mode, or as RGB PNG/JPEG). Decodes the whole image.
 */
export async function hasGreyPixels(buf: Buffer, file: string): Promise<boolean> {
  let data: Buffer;
  try {
    data = await sharp(buf, SHARP_INPUT).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
  } catch (e) {
    throw decodeFailure(file, buf, e);
  }
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    if (Math.max(r, g, b) - Math.min(r, g, b) > GREY_SPREAD) return false;
  }
  return true;
}

export interface Decoded {
  image: Uint8Array;
  converted: Conversion[];
}

/**
 * Decodes to H*W*C uint8 in the dataset's mode, as torchvision and Keras convert: alpha
 * dropped, resized to H x W with sharp's default Lanczos3, grey replicated to RGB, and RGB
 * made grey with PIL's convert('L') luma (see toChannels).
 */
export async function decodeImage(buf: Buffer, file: string, info: ImageInfo, [H, W, C]: Shape): Promise<Decoded> {
  const converted: Conversion[] = [];
  if (info.alpha) converted.push('alphaDropped');
  if (info.width !== W || info.height !== H) converted.push('resized');
  if (C === 3 && !info.colour) converted.push('greyToRgb');
  if (C === 1 && info.colour) converted.push('colourToGrey');
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
  return { image: toChannels(data, channels, C), converted };
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
export async function resampleRaw(src: Uint8Array, h: number, w: number, c: number, [H, W, C]: Shape): Promise<Decoded> {
  const converted: Conversion[] = [];
  if (h !== H || w !== W) converted.push('resized');
  if (c !== C) converted.push(c === 1 ? 'greyToRgb' : 'colourToGrey');
  let data: Uint8Array = src;
  if (h !== H || w !== W) {
    data = await sharp(Buffer.from(src.buffer, src.byteOffset, src.byteLength), { raw: { width: w, height: h, channels: c as 1 | 3 } })
      .resize(W, H, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer();
    c = data.length / (H * W);
  }
  return { image: toChannels(data, c, C), converted };
}

/**
 * Grey <-> RGB. Grey -> RGB replicates; RGB -> grey is the ITU-R 601-2 luma
 * L = 0.299 R + 0.587 G + 0.114 B in PIL's fixed point ((19595 R + 38470 G + 7471 B + 2^15) >> 16),
 * so values match PIL's convert('L') and torchvision's Grayscale on PIL images exactly.
 */
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
