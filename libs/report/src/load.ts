import fs from 'node:fs';
import path from 'node:path';
import type { AgentState } from '@marl-hpo/agents';
import type { Slot } from '@marl-hpo/arch';
import { parseConfig, readJournal, RunDir, type EvaluationRecord, type SearchConfig } from '@marl-hpo/search';
import { ReportError } from './errors';

/** agents.json as libs/search writes it after every evaluation. */
export interface AgentsFile {
  template: string;
  input: number[];
  classes: number;
  slots: Slot[];
  agent: AgentState;
}

/** Time per op type from the profiler's --ops, when the evaluation recorded it. */
export interface OpTime {
  opType: string;
  ms: number;
  share: number;
  nodes: number;
}

/**
 * An evaluation record. The optional fields are listed here too so that journals from before
 * and after they were added read the same: per-op latency, and the multi-fidelity/skip marks.
 */
export type ReportRecord = EvaluationRecord & { ops?: OpTime[]; skipped?: boolean; screen?: boolean; promoted?: boolean; promotedFrom?: number; observed?: boolean };

/** Everything read from one run folder; nothing here is ever written back. */
export interface RunData {
  dir: string;
  /** The folder's name (the dashboard's URL segment). */
  name: string;
  config?: SearchConfig;
  records: ReportRecord[];
  /** The journal ends with a half-written line (a crash or an append in progress): ignored. */
  truncatedTail: boolean;
  agents?: AgentsFile;
  /** Files that are missing or unreadable, one line each, for the report to say. */
  problems: string[];
  /** Last change of the journal (ms since the epoch), if there is one. */
  updated?: number;
}

/** A run folder holds a config.json or a journal.jsonl. */
export function isRunDir(dir: string): boolean {
  const run = new RunDir(dir);
  return fs.existsSync(run.config) || fs.existsSync(run.journal);
}

/** Changes whenever the run's files change: cheap (stat only), for the dashboard's refresh. */
export function runVersion(dir: string): string {
  const run = new RunDir(dir);
  return [run.config, run.journal, run.agents]
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('/');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function checkAgents(v: unknown): AgentsFile {
  if (!isObject(v)) throw new Error('expected an object');
  if (!Array.isArray(v.slots) || !v.slots.every((s) => isObject(s) && typeof s.name === 'string' && Array.isArray(s.choices))) throw new Error('slots: expected [{name, choices}]');
  if (!Array.isArray(v.input) || typeof v.classes !== 'number') throw new Error('expected input and classes');
  if (!isObject(v.agent) || typeof v.agent.algorithm !== 'string') throw new Error('agent: expected an agent snapshot');
  return v as unknown as AgentsFile;
}

function checkOps(v: unknown): OpTime[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = v.every((o) => isObject(o) && typeof o.opType === 'string' && typeof o.ms === 'number' && typeof o.share === 'number');
  return ok ? (v as OpTime[]) : undefined;
}

/**
 * Reads a run folder written by libs/search. A missing or unreadable config.json or
 * agents.json becomes a line in `problems` (the report says what it cannot show); a
 * journal with a corrupt line in the middle is an error (JournalError names the line).
 */
export function loadRun(dir: string): RunData {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ReportError(`${dir}: no such run folder`);
  if (!isRunDir(dir)) throw new ReportError(`${dir}: not a run folder (no config.json or journal.jsonl)`);
  const run = new RunDir(dir);
  const problems: string[] = [];
  const data: RunData = { dir, name: path.basename(path.resolve(dir)), records: [], truncatedTail: false, problems };

  if (!fs.existsSync(run.config)) problems.push('config.json is missing: objectives, constraints and budget are unknown');
  else {
    try {
      data.config = parseConfig(readJson(run.config), 'config.json');
    } catch (e) {
      problems.push(`config.json is unreadable (${(e as Error).message.split('\n')[0]})`);
    }
  }

  if (fs.existsSync(run.journal)) {
    const journal = readJournal(run.journal);
    data.records = journal.records.map((r) => {
      const ops = checkOps((r as ReportRecord).ops);
      return ops ? { ...r, ops } : r;
    });
    data.truncatedTail = journal.truncatedTail;
    data.updated = fs.statSync(run.journal).mtimeMs;
  }

  if (!fs.existsSync(run.agents)) problems.push('agents.json is missing: no Q-tables and no layer tables');
  else {
    try {
      data.agents = checkAgents(readJson(run.agents));
    } catch (e) {
      problems.push(`agents.json is unreadable (${(e as Error).message.split('\n')[0]}): no Q-tables and no layer tables`);
    }
  }
  return data;
}
