import { createAgent, marlTables, type AgentState, type MarlTable } from '@marl-hpo/agents';
import { canonicalJson, type Slot } from '@marl-hpo/arch';
import { learnedFrom } from '@marl-hpo/search';
import type { AgentsFile, ReportRecord } from './load';

/** What the report shows of the search algorithm's learning. */
export interface AgentView {
  algorithm: string;
  /** What is absent or inconsistent, one sentence each. */
  notes: string[];
  /** MARL: one table per agent (rows: previous agent's choice, columns: this agent's). */
  tables?: MarlTable[];
  /** Q-learning: the Q values along the greedy path of its prefix tree, one row per slot. */
  path?: { slot: string; q: number[] }[];
  /** Q-learning: prefixes with a row in the tree. */
  states?: number;
  /** Evolution: the population at the end (most recent observations). */
  population?: { config: number[]; reward: number }[];
  /** What `history` tracks, e.g. "greedy configuration"; undefined when nothing is tracked. */
  tracks?: string;
  /** The tracked configuration after each sampled episode (replayed from the journal). */
  history: { episode: number; config: number[] }[];
}

/** Index of the first maximum (the report breaks ties by the lowest choice index). */
export function firstMax(row: readonly number[]): number {
  let k = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[k]) k = i;
  return k;
}

/** MARL's greedy configuration: each agent's best choice given the previous agent's greedy choice. */
export function marlGreedy(tables: MarlTable[]): number[] {
  const out: number[] = [];
  tables.forEach((t, i) => out.push(firstMax(t.q[i === 0 ? 0 : out[i - 1]] ?? [])));
  return out;
}

function qlearningData(state: AgentState): { q: Record<string, number[]>; initialQ: number } {
  return { q: (state.data.q ?? {}) as Record<string, number[]>, initialQ: Number(state.options.initialQ ?? 0) };
}

/** Q-learning's greedy path: from the root, the best choice at each prefix (unvisited prefixes hold initialQ). */
function qlearningPath(state: AgentState, shape: number[]): { config: number[]; rows: number[][] } {
  const { q, initialQ } = qlearningData(state);
  const config: number[] = [];
  const rows: number[][] = [];
  for (let i = 0; i < shape.length; i++) {
    const row = q[config.join(',')] ?? new Array<number>(shape[i]).fill(initialQ);
    rows.push(row);
    config.push(firstMax(row));
  }
  return { config, rows };
}

function evolutionBest(state: AgentState): number[] | undefined {
  const pop = (state.data.population ?? []) as { config: number[]; reward: number }[];
  if (!pop.length) return undefined;
  return pop[firstMax(pop.map((m) => m.reward))].config;
}

/** Tracked configuration of a snapshot, per algorithm. */
function tracked(state: AgentState, shape: number[]): number[] | undefined {
  switch (state.algorithm) {
    case 'marl':
      return marlGreedy(marlTables(state));
    case 'qlearning':
      return qlearningPath(state, shape).config;
    case 'evolution':
      return evolutionBest(state);
    default:
      return undefined;
  }
}

const TRACKS: Record<string, string> = { marl: 'greedy configuration', qlearning: 'greedy configuration', evolution: 'best member of the population' };

/** Snapshots taken at most this many times (a snapshot copies the replay memory, so every episode would be quadratic). */
const MAX_SNAPSHOTS = 400;

/**
 * Reads agents.json's snapshot and replays the journal into a fresh agent (same algorithm,
 * options and seed: learning is a function of the observations and the seed) to follow the
 * tracked configuration over the run. The replay's final state is compared with agents.json.
 */
export function agentView(agents: AgentsFile | undefined, records: ReportRecord[], algorithm = 'unknown'): AgentView {
  if (!agents) return { algorithm, notes: ['No agent snapshot (agents.json) to show.'], history: [] };
  const state = agents.agent;
  const slots: Slot[] = agents.slots;
  const shape = slots.map((s) => s.choices.length);
  const view: AgentView = { algorithm: state.algorithm, notes: [], history: [], tracks: TRACKS[state.algorithm] };
  try {
    if (state.algorithm === 'marl') view.tables = marlTables(state);
    else if (state.algorithm === 'qlearning') {
      const { rows } = qlearningPath(state, shape);
      view.path = rows.map((q, i) => ({ slot: slots[i].name, q }));
      view.states = Object.keys(qlearningData(state).q).length;
      view.notes.push('Q-learning keeps one Q row per prefix of choices (a tree), not one table per agent: shown are the rows along its greedy path.');
    } else if (state.algorithm === 'evolution') {
      view.population = ((state.data.population ?? []) as { config: number[]; reward: number }[]).slice();
      view.notes.push('Regularized evolution keeps a population, not Q-tables: shown is the best member of the population over the run.');
    } else if (state.algorithm === 'tpe') {
      view.notes.push('TPE keeps the history of observations, not Q-tables: each proposal compares, per slot, the choices of the best 10% with those of the rest.');
    } else if (state.algorithm === 'random') {
      view.notes.push('Random search learns nothing: there are no Q-tables and no greedy configuration.');
    } else view.notes.push(`unknown algorithm '${state.algorithm}': its learning cannot be shown`);
  } catch (e) {
    view.notes.push(`agents.json: ${(e as Error).message}`);
    return view;
  }
  if (!view.tracks || !records.some(learnedFrom)) return view;

  try {
    const agent = createAgent(state.algorithm, { slots }, { ...state.options, seed: state.seed, budget: state.budget });
    // The agents learn from every record but promoted screens (they learn from the full evaluation).
    const observed = records.filter(learnedFrom);
    const stride = Math.max(1, Math.ceil(observed.length / MAX_SNAPSHOTS));
    let last: AgentState | undefined;
    observed.forEach((r, k) => {
      agent.observe(r.config, r.reward);
      if (k % stride === 0 || k === observed.length - 1) {
        last = agent.state();
        const config = tracked(last, shape);
        if (config) view.history.push({ episode: r.episode, config });
      }
    });
    if (stride > 1) view.notes.push(`The ${view.tracks} is sampled every ${stride} episodes.`);
    if (state.observed !== observed.length) {
      view.notes.push(`agents.json holds ${state.observed} observations and the journal ${observed.length} (written while the search runs): tables are from agents.json, the history from the journal.`);
    } else if (last && canonicalJson(last.data) !== canonicalJson(state.data)) {
      view.notes.push('Replaying the journal does not reproduce agents.json (different agents version or options?): the history may differ from what the search saw.');
    }
  } catch (e) {
    view.notes.push(`cannot replay the journal into the agent (${(e as Error).message.split('\n')[0]}): no history`);
    view.history = [];
  }
  return view;
}
