import fs from 'node:fs';
import { z } from 'zod';
import type { ConfigValues } from '@marl-hpo/arch';
import { asDiskError, writeAll } from './atomic';
import { pathOf } from './config';
import type { Metrics } from './reward';

/** How much training an evaluation got; part of the cache key. */
export interface Fidelity {
  epochs: number;
  /** Fraction of the training split used (undefined: all of it). */
  trainFraction?: number;
}

/** One line of journal.jsonl: one evaluation, appended and fsynced when it ends. */
export interface EvaluationRecord {
  type: 'evaluation';
  /** 0-based position in the run; the journal holds episodes 0..n-1 in order. */
  episode: number;
  /** Choice index per slot, as the agents see it. */
  config: number[];
  values: ConfigValues;
  fidelity: Fidelity;
  /**
   * ok: trained and measured; infeasible: a hard constraint failed (maybe before training);
   * failed: error; diverged: the training loss became non-finite (no model, minimum reward).
   */
  status: 'ok' | 'infeasible' | 'failed' | 'diverged';
  metrics: Metrics;
  reward: number;
  /** Constraints violated, e.g. "params 250000 > max 200000". */
  violations: string[];
  error?: string;
  /** Where training diverged (status 'diverged'). */
  diverged?: { epoch: number; step: number; loss: string };
  /** A failed evaluation: the last lines its trainer wrote to stderr (command and torch trainers). */
  log?: string[];
  /** Not evaluated: it cannot be built, or a hard constraint failed on the static cost model. Free, like cached ones. */
  skipped?: boolean;
  /** The episode whose evaluation was reused (same configuration and fidelity). */
  cachedFrom?: number;
  /** The template's baseline, evaluated before the agents' first proposal. */
  baseline?: boolean;
  /** Multi-fidelity: a cheap screening evaluation; `promoted` ones are then trained fully. */
  screen?: boolean;
  promoted?: boolean;
  /** Multi-fidelity: the screening episode this full evaluation was promoted from. */
  promotedFrom?: number;
  /** False when the agents did not learn from this record (a screen that was promoted: they learn from the full one). */
  observed?: boolean;
  /** Time per ONNX op type, when the profiler was asked for it (profiler.ops). */
  ops?: { opType: string; ms: number; share: number; nodes: number }[];
  /** Seconds spent per stage (train, export, profile, total). */
  timings: Record<string, number>;
  /** ISO time the evaluation ended. */
  time: string;
}

/** The agents learned from this record (all but screens that were promoted to a full evaluation). */
export const learnedFrom = (r: EvaluationRecord): boolean => r.observed !== false;

/** A full-fidelity evaluation (not a multi-fidelity screen): only these compete for best.onnx and the Pareto front. */
export const isFullFidelity = (r: EvaluationRecord): boolean => !r.screen;

/**
 * An episode that cost an evaluation and counts against the episode budget: learned from, and
 * neither skipped (cost-model pre-check, unbuildable) nor cached — unless it completes a promotion.
 */
export const countsAgainstBudget = (r: EvaluationRecord): boolean => learnedFrom(r) && ((r.cachedFrom === undefined && !r.skipped) || r.promotedFrom !== undefined);

/**
 * Free episodes (a hard constraint failed on the cost model, or a cached result) are bounded to
 * this many per evaluation of the budget. Large, because a pre-check costs milliseconds and some
 * spaces are mostly infeasible (the inception space under a 20x size limit: 0.8% feasible).
 */
export const MAX_STEPS_PER_EVALUATION = 200;

export interface JournalRead {
  records: EvaluationRecord[];
  /** A half-written last line (a crash during append) was found and ignored. */
  truncatedTail: boolean;
  /** Byte length of the complete lines. */
  validBytes: number;
}

/** What every journal line must hold (unknown fields are kept: later versions may add some). */
const count = z.number().int().nonnegative();
/** JSON writes NaN and Infinity as null. */
const measured = z.record(z.string(), z.number().nullable());
const recordSchema = z.object({
  type: z.literal('evaluation'),
  episode: count,
  config: z.array(count),
  values: z.record(z.string(), z.unknown()),
  fidelity: z.object({ epochs: count, trainFraction: z.number().optional() }),
  status: z.enum(['ok', 'infeasible', 'failed', 'diverged']),
  metrics: measured,
  reward: z.number().nullable(),
  violations: z.array(z.string()),
  error: z.string().optional(),
  log: z.array(z.string()).optional(),
  skipped: z.boolean().optional(),
  cachedFrom: count.optional(),
  baseline: z.boolean().optional(),
  screen: z.boolean().optional(),
  promoted: z.boolean().optional(),
  promotedFrom: count.optional(),
  observed: z.boolean().optional(),
  ops: z.array(z.object({ opType: z.string(), ms: z.number(), share: z.number(), nodes: z.number() })).optional(),
  diverged: z.object({ epoch: count, step: count, loss: z.string() }).optional(),
  timings: measured,
  time: z.string(),
});

/**
 * Reads a journal. A last line without its newline is a crash during append (the write or
 * its fsync did not finish): it is ignored, as Optuna's JournalStorage does. Any other
 * unreadable line is corruption, reported with its line number; so is a record with a bad
 * field, and an episode number out of sequence (two processes appending to one journal).
 */
export function readJournal(file: string): JournalRead {
  if (!fs.existsSync(file)) return { records: [], truncatedTail: false, validBytes: 0 };
  const text = fs.readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const records: EvaluationRecord[] = [];
  const lineOf = new Map<number, number>();
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch (e) {
        throw new JournalError(`${where}: unreadable journal line (${(e as Error).message})`);
      }
      const r = recordSchema.safeParse(rec);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = pathOf(issue.path as PropertyKey[]);
        throw new JournalError(`${where}: bad journal record: ${field ? `${field}: ` : ''}${issue.message}`);
      }
      const { episode } = r.data;
      const first = lineOf.get(episode);
      if (first !== undefined) throw new JournalError(`${where}: episode ${episode} again (first on line ${first}): two processes wrote this journal at once`);
      if (episode !== records.length) throw new JournalError(`${where}: episode ${episode} where ${records.length} was expected (the journal holds episodes 0, 1, 2... in order)`);
      lineOf.set(episode, i + 1);
      records.push(rec as EvaluationRecord);
    });
  return { records, truncatedTail: end < text.length, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

export class JournalError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/**
 * Append-only writer: each record is one line, written whole and fsynced before `append`
 * returns. A write that fails part-way (a full disk) is cut back off, so the journal holds
 * only whole lines (and if even that fails, the half line has no newline: readers skip it).
 */
export class JournalWriter {
  private fd: number;
  private size: number;

  /** Opens for append, first cutting a half-written tail so the next line starts clean. */
  constructor(
    readonly file: string,
    validBytes: number,
  ) {
    try {
      if (fs.existsSync(file) && fs.statSync(file).size !== validBytes) fs.truncateSync(file, validBytes);
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw asDiskError(e, file);
    }
    this.size = validBytes;
  }

  append(record: EvaluationRecord): void {
    const line = Buffer.from(JSON.stringify(record) + '\n');
    try {
      writeAll(this.fd, line);
      fs.fsyncSync(this.fd);
    } catch (e) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // the line has no newline yet: readJournal ignores it, the next open cuts it
      }
      throw asDiskError(e, this.file);
    }
    this.size += line.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
