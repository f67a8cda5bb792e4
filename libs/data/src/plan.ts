/** What each source (folder:, seg:, idx:, builtin:...) hands to the cache builder. */
import type { Conversion, Shape } from './decode';
import type { BadFile } from './errors';
import type { SplitName, Task } from './types';

export interface DecodedRecord {
  part: SplitName;
  /** H*W*C uint8. */
  image: Uint8Array;
  /** Classification label. */
  label?: number;
  /** Segmentation: H*W uint8 class ids. */
  mask?: Uint8Array;
  /** What was done to the image to fit the dataset's shape. */
  converted?: Conversion[];
}

export type PlanItem = DecodedRecord | BadFile;

export interface Plan {
  task: Task;
  /** Known up front: the `shape` option, or the data's own. Undefined: `inferShape` decides it from the images. */
  shape?: Shape;
  /** Reads the images to choose the shape; called only when no cache matches the key. */
  inferShape?(): Promise<Shape>;
  /** Undefined: numbered from the data ('0'..max id). */
  classes?: string[];
  /** Number of items `items()` will yield, for progress; undefined when unknown in advance. */
  total?: number;
  /** Everything, besides task/shape/classes, that decides the decoded bytes (and the inferred shape): file list with sizes and mtimes, options. */
  key: unknown;
  /** Short human part of the cache file name. */
  label: string;
  /** User-facing prefix for the relative file names in BadFile. */
  root: string;
  /** Decoded records of `shape`, grouped by part in the order train, val, test; BadFiles anywhere. */
  items(shape: Shape): AsyncIterable<PlanItem>;
}
