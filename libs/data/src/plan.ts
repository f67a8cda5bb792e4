/** What each source (folder:, seg:, idx:, builtin:...) hands to the cache builder. */
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
}

export type PlanItem = DecodedRecord | BadFile;

export interface Plan {
  task: Task;
  shape: [number, number, number];
  /** Undefined: numbered from the data ('0'..max id). */
  classes?: string[];
  /** Number of items `items()` will yield, for progress; undefined when unknown in advance. */
  total?: number;
  /** Everything, besides task/shape/classes, that decides the decoded bytes: file list with sizes and mtimes, options. */
  key: unknown;
  /** Short human part of the cache file name. */
  label: string;
  /** User-facing prefix for the relative file names in BadFile. */
  root: string;
  /** Decoded records grouped by part in the order train, val, test; BadFiles anywhere. */
  items(): AsyncIterable<PlanItem>;
}
