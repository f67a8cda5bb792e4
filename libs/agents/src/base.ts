import { Rng, STREAM_OBSERVE, STREAM_PROPOSE } from './rng';
import { checkConfig, sameConfig } from './space';
import { AgentError, type Agent, type AgentState, type Algorithm, type Config } from './types';

/**
 * Bookkeeping shared by every algorithm: episode numbering, seeded generators,
 * pending proposals, snapshots. Subclasses implement the search itself.
 */
export abstract class BaseAgent implements Agent {
  private proposed = 0;
  private observed = 0;
  private pending: Config[] = [];

  protected constructor(
    readonly algorithm: Algorithm,
    protected readonly shape: readonly number[],
    protected seed: number,
    protected budget: number,
    protected options: Record<string, unknown>,
  ) {}

  /** Proposal `episode` (0-based); `rng` is derived from (seed, episode). */
  protected abstract proposeAt(episode: number, rng: Rng): Config;
  /** Learns from observation number `index` (0-based); `rng` is derived from (seed, index). */
  protected abstract learn(config: Config, reward: number, index: number, rng: Rng): void;
  protected abstract saveData(): Record<string, unknown>;
  /** Rebuilds the learning from `data` and `this.options` (already restored); throws AgentError on bad data. */
  protected abstract loadData(data: Record<string, unknown>): void;
  /** Re-checks options read from a snapshot. */
  protected abstract checkOptions(options: Record<string, unknown>): Record<string, unknown>;

  /** The episode the next proposal belongs to. After a journal replay no proposal was made, hence the max. */
  protected get episode(): number {
    return Math.max(this.proposed, this.observed);
  }

  /** Proposals not observed yet (configurations being evaluated). */
  protected get inFlight(): readonly Config[] {
    return this.pending;
  }

  propose(): Config {
    const episode = this.episode;
    const config = this.proposeAt(episode, Rng.for(this.seed, STREAM_PROPOSE, episode));
    this.proposed = episode + 1;
    this.pending.push(config.slice());
    return config;
  }

  observe(config: Config, reward: number): void {
    const c = checkConfig(this.shape, config);
    if (typeof reward !== 'number' || !Number.isFinite(reward)) {
      throw new AgentError(`reward: expected a finite number, got ${String(reward)} (map failed evaluations to the minimum reward)`);
    }
    const i = this.pending.findIndex((p) => sameConfig(p, c));
    if (i >= 0) this.pending.splice(i, 1);
    const index = this.observed;
    this.learn(c, reward, index, Rng.for(this.seed, STREAM_OBSERVE, index));
    this.observed = index + 1;
  }

  state(): AgentState {
    return JSON.parse(
      JSON.stringify({
        algorithm: this.algorithm,
        version: 1,
        shape: this.shape,
        seed: this.seed,
        budget: this.budget,
        options: this.options,
        // As the next proposal sees it: equal after a journal replay and in an uninterrupted run.
        proposed: this.episode,
        observed: this.observed,
        pending: this.pending,
        data: this.saveData(),
      }),
    );
  }

  restore(state: AgentState): void {
    const s = JSON.parse(JSON.stringify(state)) as AgentState;
    const bad = (field: string, why: string) => new AgentError(`agent state.${field}: ${why}`);
    if (!s || typeof s !== 'object') throw bad('', 'expected an object');
    if (s.algorithm !== this.algorithm) throw bad('algorithm', `is '${String(s.algorithm)}', this agent is '${this.algorithm}'`);
    if (s.version !== 1) throw bad('version', `unsupported version ${JSON.stringify(s.version)}`);
    if (!Array.isArray(s.shape) || !sameConfig(s.shape, this.shape)) {
      throw bad('shape', `choices per slot ${JSON.stringify(s.shape)} differ from the space's ${JSON.stringify(this.shape)}`);
    }
    if (!Number.isSafeInteger(s.seed)) throw bad('seed', 'expected an integer');
    if (!Number.isInteger(s.budget) || s.budget < 1) throw bad('budget', 'expected an integer >= 1');
    if (!Number.isInteger(s.proposed) || s.proposed < 0) throw bad('proposed', 'expected an integer >= 0');
    if (!Number.isInteger(s.observed) || s.observed < 0) throw bad('observed', 'expected an integer >= 0');
    if (!Array.isArray(s.pending)) throw bad('pending', 'expected a list of configurations');
    const pending = s.pending.map((p, i) => checkConfig(this.shape, p, `agent state.pending[${i}]`));
    const options = this.checkOptions(s.options ?? {});
    if (!s.data || typeof s.data !== 'object') throw bad('data', 'expected an object');
    // Assign only once everything checked out, so a bad snapshot leaves the agent unchanged.
    const previous = { seed: this.seed, budget: this.budget, options: this.options };
    this.seed = s.seed;
    this.budget = s.budget;
    this.options = options;
    try {
      this.loadData(s.data);
    } catch (e) {
      Object.assign(this, previous);
      throw e;
    }
    this.proposed = s.proposed;
    this.observed = s.observed;
    this.pending = pending;
  }
}
