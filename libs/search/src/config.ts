import fs from 'node:fs';
import { z } from 'zod';
import type { TemplateOptions } from '@marl-hpo/arch';
import { algorithms, type Algorithm } from '@marl-hpo/agents';
import { TRAIN_DEFAULTS } from '@marl-hpo/trainer';
import { PROMOTION_DEFAULTS } from './promotion';
import { parseRewardSpec } from './reward';

/** A config file or value the user wrote wrong; the message names the file and field path. */
export class ConfigError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const metric = z
  .string()
  .min(1)
  .describe(
    'any metric the evaluator produces: accuracy, loss (classification), mIoU, pixelAccuracy, loss (segmentation), latencyMs (p50), latencyP90Ms, params, macs, trainSeconds, onnxBytes, and what the profiler backend declares; a name nothing produces fails before training',
  );

const objective = z.union([
  z
    .object({
      metric,
      goal: z.enum(['max', 'min']).describe('maximise or minimise the metric'),
    })
    .strict(),
  z
    .object({
      metric,
      target: z.number().positive().describe('soft target (MnasNet): reward *= (value / target) ^ weight'),
      weight: z.number().describe('MnasNet exponent, negative for metrics to keep low, e.g. -0.07'),
    })
    .strict(),
]);

const constraint = z
  .object({
    metric,
    max: z.number().optional().describe('hard upper bound'),
    min: z.number().optional().describe('hard lower bound'),
  })
  .strict()
  .refine((c) => c.max !== undefined || c.min !== undefined, { message: 'a constraint needs max or min' });

const dataset = z.union([
  z.string().describe('dataset spec: builtin:mnist, builtin:shapes, folder:<dir>, idx:<dir>, seg:<dir>'),
  z.object({ spec: z.string() }).catchall(z.unknown()).describe('dataset spec with options (shape, limit, valFraction, onBadFile, palette, ...)'),
]);

export const searchConfigSchema = z
  .object({
    name: z.string().optional().describe('run name (default: the config file name)'),
    template: z.string().describe('vgg, inception, unet, or custom:<file.json>'),
    templateOptions: z
      .object({
        batchNorm: z
          .boolean()
          .optional()
          .describe("vgg, inception: batch norm after every conv (trains much faster from scratch). Default: on for the searched configurations, off for the template's baseline (the original network); set it to apply to both"),
        dropout: z
          .number()
          .min(0)
          .lt(1)
          .optional()
          .describe("vgg, inception: rate of the dropout layers. Default: 0 for the searched configurations (short trainings learn far better without it), the original's (vgg 0.5, inception 0.4) for the template's baseline; set it to apply to both"),
      })
      .strict()
      .default({}),
    dataset,
    budget: z
      .object({
        episodes: z.number().int().positive().optional().describe('configurations to evaluate (trained); ones rejected by a hard constraint before training, or already evaluated, are free'),
        seconds: z.number().positive().optional().describe('wall-clock limit; no new episode starts after it'),
      })
      .strict()
      .refine((b) => b.episodes !== undefined || b.seconds !== undefined, { message: 'budget needs episodes or seconds' }),
    objectives: z.array(objective).min(1).describe('combined into one global reward'),
    constraints: z.array(constraint).default([]).describe('hard constraints: violating one gives the minimum reward'),
    algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]).default('marl').describe(`search algorithm: ${algorithms.join(', ')}`),
    agent: z.record(z.string(), z.unknown()).default({}).describe('algorithm options, e.g. marl: gamma, epsilon schedule, initialQ, rankPower, prior (libs/agents/README.md); evolution: population, sample; tpe: startupTrials, candidates, gamma, gammaMax, priorWeight, ordered (auto | never | always), ...'),
    seed: z.number().int().default(0),
    baseline: z.boolean().default(false).describe("evaluate the template's baseline first (for size and latency ratios)"),
    trainer: z
      .object({
        backend: z
          .string()
          .min(1)
          .default('tfjs')
          .describe("who trains: 'tfjs' (embedded, default), 'command' (your program, docs/TRAINERS.md), 'torch' (PyTorch, CUDA when available), or an npm package that registers a trainer"),
        epochs: z.number().int().positive().default(TRAIN_DEFAULTS.epochs),
        batchSize: z.number().int().positive().default(TRAIN_DEFAULTS.batchSize),
        optimizer: z.enum(['adam', 'sgd']).default(TRAIN_DEFAULTS.optimizer),
        learningRate: z.number().positive().default(TRAIN_DEFAULTS.learningRate).describe('peak learning rate (after the warm-up)'),
        momentum: z.number().min(0).lt(1).default(TRAIN_DEFAULTS.momentum).describe('SGD momentum'),
        schedule: z.enum(['cosine', 'constant']).default(TRAIN_DEFAULTS.schedule).describe("learning rate after the warm-up: 'cosine' decays it to 0 by the last step, 'constant' keeps it"),
        warmup: z.number().min(0).lt(1).default(TRAIN_DEFAULTS.warmup).describe('fraction of the training steps over which the learning rate ramps up linearly'),
        clipNorm: z.number().min(0).default(TRAIN_DEFAULTS.clipNorm).describe('clip the global gradient L2 norm to this (0: no clipping)'),
        init: z.enum(['he', 'glorot']).default(TRAIN_DEFAULTS.init).describe("weight initialisation: 'he' (He-uniform before ReLUs, Glorot-uniform elsewhere) or 'glorot' everywhere"),
        patience: z.number().int().positive().optional().describe('early stopping: epochs without validation improvement'),
        threads: z.number().int().positive().default(1).describe('CPU threads of the trainer (tfjs wasm threads; torch.set_num_threads)'),
        command: z.array(z.string().min(1)).min(1).optional().describe('command backend: the program and its arguments, e.g. ["python3", "train.py"]; the job folder is appended'),
        cwd: z.string().min(1).optional().describe('command backend: working directory of the command (default: the current one)'),
        timeoutSeconds: z.number().positive().optional().describe('command, torch: an evaluation that trains longer fails, its process group is ended'),
        metrics: z.array(z.string().min(1)).optional().describe("command backend: metric names metrics.json always has besides the task's quality metric (accuracy or mIoU)"),
        arrays: z.boolean().optional().describe('command, torch: write the dataset as .npy files (default: yes up to 8 GiB; true: any size; false: not, for a command that loads dataset.spec itself)'),
        keepJobs: z.boolean().optional().describe('command, torch: keep every job folder (job.json, metrics.json, model.onnx, train.log) instead of removing it'),
        workDir: z.string().min(1).optional().describe('command, torch: where job folders are made (default: the OS temp folder)'),
        python: z.string().min(1).optional().describe('torch backend: the Python interpreter (default: $MARL_HPO_PYTHON, else python3 or /usr/bin/python3, whichever imports torch)'),
        device: z.enum(['auto', 'cpu', 'cuda']).optional().describe("torch backend: 'auto' (CUDA when available, default), 'cpu' or 'cuda'"),
        options: z.record(z.string(), z.unknown()).optional().describe('options of a plug-in trainer, passed through'),
      })
      .strict()
      .default({ backend: 'tfjs', ...TRAIN_DEFAULTS, threads: 1 })
      .describe('how every configuration is trained; a run whose loss becomes non-finite stops and is journaled as diverged'),
    profiler: z
      .object({
        backend: z.string().default('ort-cpu').describe('ort-cpu, remote, estimate, or an npm package that registers a backend'),
        threads: z.number().int().positive().default(1),
        batch: z.number().int().positive().default(1),
      })
      .catchall(z.unknown())
      .default({ backend: 'ort-cpu', threads: 1, batch: 1 }),
    multiFidelity: z
      .object({
        screen: z
          .object({
            epochs: z.number().int().positive().default(1).describe('epochs of the screening evaluation'),
            trainFraction: z.number().gt(0).max(1).default(0.25).describe('fraction of the training split used for screening'),
          })
          .strict()
          .default({ epochs: 1, trainFraction: 0.25 }),
        promote: z.number().gt(0).max(1).default(PROMOTION_DEFAULTS.promote).describe('configurations whose screening reward ranks in this top fraction are trained fully'),
        minScreened: z.number().int().nonnegative().default(PROMOTION_DEFAULTS.minScreened).describe('until this many were screened, only a screen better than every earlier one is trained fully'),
      })
      .strict()
      .optional()
      .describe('screen every configuration cheaply and train only the promising ones fully (successive halving with two rungs)'),
    synthetic: z
      .object({
        sleepSeconds: z.number().nonnegative().optional().describe('seconds each evaluation sleeps'),
        busySeconds: z.number().nonnegative().optional().describe('CPU seconds each evaluation spins'),
        failEvery: z.number().int().positive().optional().describe('about 1 in N configurations fails'),
        exitEvery: z.number().int().positive().optional().describe('about 1 in N configurations kills its worker process (use with --workers)'),
      })
      .strict()
      .optional()
      .describe('replace train/export/profile by a fast deterministic function of the configuration, to test or benchmark the search machinery'),
  })
  .strict();

export type SearchConfigInput = z.input<typeof searchConfigSchema>;
export type SearchConfig = z.output<typeof searchConfigSchema>;

/** A zod issue path as a field path, e.g. objectives[0].target. */
export function pathOf(path: PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

/** Validates a config object; the error names the source and the field path of the first problem. */
export function parseConfig(value: unknown, source = 'config'): SearchConfig {
  // Objectives and constraints first: parseRewardSpec says what is wrong where zod's union only says "Invalid input".
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    parseRewardSpec({ objectives: v.objectives, ...(v.constraints === undefined ? {} : { constraints: v.constraints }) }, source);
  }
  const r = searchConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = pathOf(issue.path as PropertyKey[]);
  throw new ConfigError(`${source}: ${where ? `${where}: ` : ''}${issue.message}`);
}

export function readConfigFile(file: string): SearchConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(stripJsonComments(text));
  } catch (e) {
    throw new ConfigError(`${file}: malformed JSON (${(e as Error).message})`);
  }
  return parseConfig(json, file);
}

/** Removes line and block comments outside strings, so configs may be commented (JSONC). */
export function stripJsonComments(text: string): string {
  return text.replace(/("(?:[^"\\\n]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str: string | undefined) => str ?? m.replace(/[^\n]/g, ' '));
}

/**
 * The template options a configuration of this run is built with: batch norm on and no dropout
 * unless the config says otherwise, except for the template's baseline, which stays the original
 * network (no batch norm, the original dropout) in what the config does not set explicitly.
 */
export function templateOptionsFor(config: Pick<SearchConfig, 'templateOptions'>, data: Pick<TemplateOptions, 'input' | 'classes'>, baseline = false): TemplateOptions {
  const { batchNorm, dropout } = config.templateOptions;
  return { input: data.input, classes: data.classes, batchNorm: batchNorm ?? !baseline, dropout: dropout ?? (baseline ? undefined : 0) };
}

/** The JSON Schema of search configs (for editors and `marl-hpo config --schema`). */
export function configJsonSchema(): object {
  return z.toJSONSchema(searchConfigSchema, { io: 'input' });
}
