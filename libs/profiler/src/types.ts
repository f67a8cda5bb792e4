/** Public types of the profiler: what a backend receives and returns. */

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of one measurement. Every backend reads the ones it understands. */
export interface MeasureOptions {
  /**
   * Registered backend name or an npm package that registers itself; default 'ort-cpu'.
   * A list means: the first one that initialises (the error lists every one's reason).
   */
  backend?: string | string[];
  /** Intra-op threads; default 1. */
  threads?: number;
  /** Inter-op threads; > 1 switches onnxruntime to parallel execution mode; default 1. */
  interOpThreads?: number;
  /** Value of the model's dynamic batch dimension; default 1. */
  batch?: number;
  /** Untimed runs before timing; default 5. */
  warmup?: number;
  /** Timed runs at least (unless maxSeconds runs out); default 10. */
  minRuns?: number;
  /** Timed runs at most; default 1000. */
  maxRuns?: number;
  /** Wall-clock budget of the timed loop; default 10. */
  maxSeconds?: number;
  /** Stop once the 95% CI half-width of the median is within this fraction of it; default 0.02. */
  targetRelCI?: number;
  /** onnxruntime graph optimisation level; default 'all'. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** onnxruntime execution providers, in order of preference; default ['cpu']. */
  executionProviders?: string[];
  /** Also report time per op type (from onnxruntime's profiler, in a separate session). */
  ops?: boolean;
  /** Seed of the random input data; default 0. */
  seed?: number;
  /** remote: URL of apps/profiler-server, e.g. http://board.local:8410. */
  url?: string;
  /** remote: API token; default: env MARL_HPO_PROFILER_TOKEN. */
  token?: string;
  /** remote: give up after this long (queue wait included); default 120000. */
  timeoutMs?: number;
  /** estimate: path of a fit saved by `marl-hpo profile calibrate`; default: the built-in fit. */
  calibration?: string;
  /** Options for a plug-in backend, passed through unchanged. */
  extra?: Record<string, unknown>;
  /** How errors name the model, e.g. its file path; default 'model'. */
  source?: string;
}

/** MeasureOptions with every default filled in. */
export type ResolvedMeasureOptions = Required<Omit<MeasureOptions, OptionalKey | 'backend'>> &
  Pick<MeasureOptions, OptionalKey> & {
    /** The backend that measures (the first candidate until one is chosen). */
    backend: string;
    /** Candidates in order of preference. */
    backends: string[];
  };
type OptionalKey = 'url' | 'token' | 'calibration' | 'extra';

/** Time spent in one op type, per inference. */
export interface OpTime {
  opType: string;
  /** Mean kernel time per inference, summed over the nodes of this type. */
  ms: number;
  /** Fraction of the summed kernel time of all ops. */
  share: number;
  /** Nodes of this type that ran (after graph optimisation). */
  nodes: number;
}

export interface Measurement {
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
  stdMs: number;
  /** Timed runs. */
  runs: number;
  /** Backend that measured. */
  backend: string;
  /** What it ran on, e.g. the CPU model and runtime. */
  device: string;
  /** Achieved 95% CI half-width of the median, as a fraction of it (absent for estimates). */
  relCI?: number;
  /** Time per op type, largest first, when `ops` was asked for and the backend supports it. */
  ops?: OpTime[];
  /** Further metrics of the model on this device (e.g. energyMj, peakMemoryMb): the names the backend declares in `metrics`. */
  metrics?: Record<string, number>;
}

/**
 * A latency backend. `init` runs once, lazily, before the first `measure`; if it throws,
 * the failure is cached and the backend is reported unavailable with that reason.
 */
export interface ProfilerBackend {
  init(): Promise<void>;
  measure(model: Uint8Array, opts: ResolvedMeasureOptions): Promise<Measurement>;
  /**
   * Names of the extra metrics `measure` returns in `Measurement.metrics`, so a search config may
   * name them in objectives and constraints (checked before any training). Default: none.
   */
  metrics?: readonly string[];
}

/** What a plug-in package's `register(api)` receives. */
export interface PluginApi {
  registerBackend(name: string, backend: ProfilerBackend, priority?: number): void;
  /** The timing loop the built-in backends use, so plug-ins report comparable statistics. */
  timeLoop(runOnce: () => Promise<unknown> | unknown, opts: ResolvedMeasureOptions): Promise<TimingStats>;
  /** Version of @marl-hpo/profiler's plug-in API. */
  apiVersion: 1;
}

export interface TimingStats {
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
  stdMs: number;
  runs: number;
  relCI: number;
}
