/** Public types of libs/data: what the trainer and the CLI consume. */

export type Task = 'classification' | 'segmentation';
export type SplitName = 'train' | 'val' | 'test';

/** One mini-batch. */
export interface Batch {
  /** n*H*W*C float32, NHWC, normalised with the dataset's mean/std. */
  x: Float32Array;
  /** Classification: n labels. Segmentation: n*H*W class ids (row-major per image). */
  y: Int32Array;
  n: number;
}

export interface Split {
  size: number;
  /**
   * Streams the split from the on-disk cache in batches (the last one may be smaller).
   * Without `shuffleSeed` the order is fixed; with it, the same seed gives the same order.
   */
  batches(batchSize: number, opts?: { shuffleSeed?: number }): AsyncIterable<Batch>;
}

export interface SkippedFile {
  /** The file as the user would find it (the dataset path joined with its relative path). */
  file: string;
  reason: string;
}

export interface Dataset {
  /** The spec it was loaded from, e.g. 'folder:data/pets'. */
  name: string;
  task: Task;
  /** [H, W, C] of every image; C is 1 or 3. */
  shape: [number, number, number];
  classes: string[];
  train: Split;
  val: Split;
  test?: Split;
  /** split -> class -> count. Segmentation counts the images in which the class appears. */
  counts: Partial<Record<SplitName, Record<string, number>>>;
  /** Files left out with onBadFile 'skip' (with 'error' loading fails instead). */
  skipped: SkippedFile[];
  /** How many images each conversion to the dataset's shape was applied to. */
  conversions: Conversions;
  /** Normalisation applied to x: (pixel / 255 - mean[c]) / std[c]. */
  normalize: { mean: number[]; std: number[] };
  /** The binary cache the splits stream from; `hit` when nothing had to be decoded. */
  cache: { file: string; hit: boolean };
  /** Hash of the decoded samples, the split assignment and the normalisation: equal fingerprints, equal tensors. */
  fingerprint: string;
}

export interface Progress {
  phase: 'decode';
  done: number;
  total: number;
}

export interface DataOptions {
  /**
   * [H, W, C] to resize to (sharp's Lanczos3 for images, nearest for masks); C is 1 (grey) or 3 (RGB);
   * at most 4096 x 4096 x 3 values. Default for folder: and seg: the size of more than half of the
   * images (the others are resized; without such a majority `shape` is required), and C = 1
   * when every image is grey (by header or by pixels), else 3; the data's own shape for idx:
   * and builtin:mnist; [64, 64, 3] for builtin:shapes.
   */
  shape?: [number, number, number];
  /** Per-channel mean/std in [0, 1] units (one value is broadcast). Default mean 0, std 1: pixels scaled to [0, 1]. */
  normalize?: { mean: number[]; std: number[] };
  /** Fraction of train carved out (stratified per class) as val when the source has no val part. Default 0.1. */
  valFraction?: number;
  /** Seed of the val carve-out and of `limit`'s subsets. Default 0. */
  seed?: number;
  /** At most this many samples per split: a seeded subset, and the subset for N is a prefix of the one for N+1. */
  limit?: Partial<Record<SplitName, number>>;
  /** 'error' (default): the first bad file fails the load. 'skip': leave bad files out and warn with the list. */
  onBadFile?: 'error' | 'skip';
  /** seg: mask colour [r, g, b] of each class id (index = class id); masks are then RGB images. */
  palette?: [number, number, number][];
  /** idx:, seg: class names (index = class id). Default: classes.txt (one name a line) in the dataset folder, else numbered. */
  classes?: string[];
  /** Where decoded caches live. Default $MARL_HPO_CACHE_DIR, else $XDG_CACHE_HOME/marl-hpo/data, else ~/.cache/marl-hpo/data. */
  cacheDir?: string;
  /** Called while decoding (not on a cache hit). */
  onProgress?: (p: Progress) => void;
  /** Receives the skipped-files warning. Default: written to stderr. */
  warn?: (message: string) => void;
}

/**
 * Images converted to the dataset's shape: grey replicated to RGB, colour (RGB, palette,
 * CMYK) made grey with ITU-R 601-2 luma as PIL's convert('L'), alpha dropped, resized.
 */
export interface Conversions {
  greyToRgb: number;
  colourToGrey: number;
  alphaDropped: number;
  resized: number;
}

/** What `marl-hpo data inspect` shows; its `--json` prints classes, counts, shape, skipped, conversions and the templates that cannot take the images. */
export interface DatasetReport {
  task: Task;
  /** Samples per split. */
  sizes: Partial<Record<SplitName, number>>;
  classes: string[];
  counts: Partial<Record<SplitName, Record<string, number>>>;
  shape: [number, number, number];
  skipped: SkippedFile[];
  conversions: Conversions;
}
