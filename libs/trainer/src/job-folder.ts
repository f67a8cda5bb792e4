/**
 * The job-folder protocol shared by the `command` and `torch` trainers (docs/TRAINERS.md): the
 * tool writes <job>/job.json; the trainer writes <job>/metrics.json and <job>/model.onnx.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportArrays, type DatasetArrays } from '@marl-hpo/data';
import { INPUT_NAME, OUTPUT_NAME } from '@marl-hpo/onnx';
import { checkModel } from './check-model';
import { TrainerError, TrainerFailure } from './errors';
import { recipeFor } from './recipe';
import type { TrainedModel, TrainerConfig, TrainerContext, TrainJob } from './types';

/** Datasets larger than this as float32 arrays are written only when `trainer.arrays` is true. */
const ARRAYS_LIMIT_BYTES = 8 * 2 ** 30;

/**
 * The dataset as .npy arrays for an outside trainer (written once per dataset), unless the
 * config says `arrays: false`. A dataset that would take more than 8 GiB needs `arrays: true`:
 * a user error says so rather than filling a disk unasked.
 */
export async function datasetArrays(config: TrainerConfig, ctx: TrainerContext, needed: boolean): Promise<DatasetArrays | undefined> {
  if (config.arrays === false) {
    if (needed) throw new TrainerError(`trainer.arrays: the ${config.backend} backend trains on the .npy arrays, it cannot be false`);
    return undefined;
  }
  const ds = ctx.dataset;
  const [h, w, c] = ds.shape;
  const samples = ds.train.size + ds.val.size + (ds.test?.size ?? 0);
  const bytes = samples * (h * w * c * 4 + (ds.task === 'segmentation' ? h * w * 4 : 4));
  if (bytes > ARRAYS_LIMIT_BYTES && config.arrays !== true) {
    const gib = (bytes / 2 ** 30).toFixed(1);
    throw new TrainerError(`trainer.arrays: the dataset as float32 .npy arrays takes ${gib} GiB; set "arrays": true to write them anyway${needed ? '' : ', or false to let the command load dataset.spec itself'}`);
  }
  return exportArrays(ds);
}

/** Bump when job.json changes incompatibly; trainers refuse versions they do not know. */
export const JOB_VERSION = 1;

export interface JobFolder {
  dir: string;
  job: string;
  metrics: string;
  model: string;
  /** Written instead of a model when training diverged: {"epoch", "step", "loss"}. */
  diverged: string;
  /** Everything the trainer printed for this job. */
  log: string;
}

export function jobFolder(dir: string): JobFolder {
  const file = (name: string) => path.join(dir, name);
  return { dir, job: file('job.json'), metrics: file('metrics.json'), model: file('model.onnx'), diverged: file('diverged.json'), log: file('train.log') };
}

/** The task's quality metric: what model selection and early stopping maximise. */
export const qualityMetric = (task: string) => (task === 'segmentation' ? 'mIoU' : 'accuracy');

/** The contents of job.json (version 1). */
export function jobDocument(folder: JobFolder, job: TrainJob, config: TrainerConfig, ctx: TrainerContext, arrays: DatasetArrays | undefined, required: string[]) {
  const ds = ctx.dataset;
  const [h, w, c] = ds.shape;
  const classes = ds.classes.length;
  return {
    version: JOB_VERSION,
    folder: folder.dir,
    proposal: job.proposal,
    task: ds.task,
    architecture: job.ir,
    configuration: job.values,
    fidelity: job.fidelity,
    recipe: recipeFor(config, job.fidelity, ds.train.size),
    seed: ctx.seed,
    device: config.device ?? 'auto',
    input: { name: INPUT_NAME, dtype: 'float32', layout: 'NCHW', shape: [c, h, w] },
    output: { name: OUTPUT_NAME, dtype: 'float32', softmax: true, shape: ds.task === 'segmentation' ? [classes, h, w] : [classes] },
    classes: ds.classes,
    dataset: {
      spec: ctx.datasetSpec.spec,
      options: ctx.datasetSpec.options,
      shape: ds.shape,
      normalize: { scale: 1 / 255, ...ds.normalize },
      sizes: { train: ds.train.size, val: ds.val.size, ...(ds.test ? { test: ds.test.size } : {}) },
      arrays: arrays?.splits ?? null,
    },
    metrics: { quality: qualityMetric(ds.task), required },
    outputs: { metrics: folder.metrics, model: folder.model, diverged: folder.diverged },
  };
}

/** Writes job.json whole or not at all (a temporary name, then rename): a trainer never reads half of it. */
export async function writeJob(folder: JobFolder, doc: object): Promise<void> {
  await fsp.mkdir(folder.dir, { recursive: true });
  const tmp = `${folder.job}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(doc, null, 1) + '\n');
  await fsp.rename(tmp, folder.job);
}

async function readMetrics(file: string, required: string[]): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new TrainerFailure(`the trainer wrote no metrics.json`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TrainerFailure(`metrics.json: malformed JSON (${(e as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TrainerFailure('metrics.json: expected an object of metric names to numbers');
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainerFailure(`metrics.json: '${k}' is ${JSON.stringify(v)}, expected a finite number`);
    metrics[k] = v;
  }
  const missing = required.filter((m) => !(m in metrics));
  if (missing.length) throw new TrainerFailure(`metrics.json: no '${missing.join("', '")}' (it has ${Object.keys(metrics).join(', ') || 'nothing'})`);
  return metrics;
}

/** diverged.json, when the trainer wrote one: where the loss became non-finite. */
async function readDiverged(file: string): Promise<TrainedModel['diverged']> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let d: { epoch?: unknown; step?: unknown; loss?: unknown };
  try {
    d = JSON.parse(text);
  } catch (e) {
    throw new TrainerFailure(`diverged.json: malformed JSON (${(e as Error).message})`);
  }
  if (!Number.isInteger(d?.epoch) || !Number.isInteger(d?.step)) throw new TrainerFailure('diverged.json: expected {"epoch": <int>, "step": <int>, "loss": "NaN"}');
  return { epoch: d.epoch as number, step: d.step as number, loss: String(d.loss ?? 'NaN') };
}

/**
 * Reads what the trainer wrote: metrics.json (numbers, the required names present) and
 * model.onnx (checked against the contract, with the run's metadata added), or diverged.json
 * (the evaluation is journaled as diverged). `trainSeconds` defaults to the wall time of the job
 * when the trainer does not report it.
 */
export async function readOutputs(folder: JobFolder, job: TrainJob, ctx: TrainerContext, required: string[], wallSeconds: number): Promise<Omit<TrainedModel, 'timings'>> {
  const diverged = await readDiverged(folder.diverged);
  if (diverged) {
    const reported = await readMetrics(folder.metrics, []).catch(() => ({}) as Record<string, number>);
    return { metrics: { trainSeconds: reported.trainSeconds ?? wallSeconds }, diverged };
  }
  const metrics = await readMetrics(folder.metrics, required);
  metrics.trainSeconds ??= wallSeconds;
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(folder.model);
  } catch {
    throw new TrainerFailure('the trainer wrote no model.onnx');
  }
  return { metrics, onnx: checkModel(bytes, job, ctx, metrics, 'model.onnx') };
}

/** Job folders of one session: <workDir>/marl-hpo-XXXXXX/job-<proposal>-<n>, removed unless keepJobs. */
export class JobFolders {
  private root?: Promise<string>;
  private n = 0;
  constructor(private readonly config: Pick<TrainerConfig, 'workDir' | 'keepJobs'>) {}

  async next(proposal: number): Promise<JobFolder> {
    this.root ??= fsp.mkdir(this.config.workDir ?? os.tmpdir(), { recursive: true }).then(() => fsp.mkdtemp(path.join(this.config.workDir ?? os.tmpdir(), 'marl-hpo-jobs-')));
    return jobFolder(path.join(await this.root, `job-${proposal}-${this.n++}`));
  }

  /** Removes a finished job's folder (kept with keepJobs). */
  async done(folder: JobFolder): Promise<void> {
    if (!this.config.keepJobs) await fsp.rm(folder.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.root && !this.config.keepJobs) await fsp.rm(await this.root, { recursive: true, force: true });
  }
}
