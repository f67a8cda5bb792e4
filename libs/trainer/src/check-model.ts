/**
 * The contract every trainer's model must meet (that of best.onnx, README "What a run writes"):
 * one input 'input', float32 [N, C, H, W]; one output 'probabilities', float32 [N, classes] or
 * [N, classes, H, W]. Models from outside (a command, PyTorch) are checked here and get the same
 * metadata_props as the embedded trainer's, so best.onnx says the same whoever trained it.
 */
import { decodeModel, encodeModel, INPUT_NAME, METADATA_KEYS, OUTPUT_NAME, summarizeModel, type ModelProto, type ValueSummary } from '@marl-hpo/onnx';
import { TrainerFailure } from './errors';
import type { TrainerContext, TrainJob } from './types';

/** Metadata the search adds to every model, beside the exporter's own keys. */
export function runMetadata(ctx: TrainerContext): Record<string, string> {
  const { mean, std } = ctx.dataset.normalize;
  // How to feed the model: NCHW pixels scaled to [0, 1], then (x - mean) / std per channel.
  return { preprocessing: JSON.stringify({ scale: 1 / 255, mean, std }), dataset: ctx.dataset.name };
}

const dims = (v: ValueSummary) => (v.shape === null ? 'unknown' : `[${v.shape.map((d) => d ?? '?').join(', ')}]`);

/** A fixed dimension must equal `want`; a dynamic or unknown one passes. */
function fits(shape: (number | string | null)[], want: (number | undefined)[]): boolean {
  return shape.length === want.length && shape.every((d, i) => want[i] === undefined || typeof d !== 'number' || d === want[i]);
}

/**
 * Checks ONNX bytes against the contract for this job's dataset and returns them with the run's
 * metadata (template, task, architecture, configuration, metrics, preprocessing). A model that
 * does not fit throws TrainerFailure naming `source` and what is wrong.
 */
export function checkModel(bytes: Uint8Array, job: TrainJob, ctx: TrainerContext, metrics: Record<string, number>, source: string): Uint8Array {
  let model: ModelProto;
  try {
    model = decodeModel(bytes, source);
  } catch (e) {
    throw new TrainerFailure((e as Error).message.split('\n')[0]);
  }
  const s = summarizeModel(model);
  const [h, w, c] = ctx.dataset.shape;
  const classes = ctx.dataset.classes.length;
  const fail = (what: string) => {
    throw new TrainerFailure(`${source}: ${what}`);
  };
  if (!model.graph?.node?.length) fail('the graph has no nodes');
  if (s.inputs.length !== 1) fail(`expected one input '${INPUT_NAME}', found ${s.inputs.length} (${s.inputs.map((i) => i.name).join(', ')})`);
  if (s.outputs.length !== 1) fail(`expected one output '${OUTPUT_NAME}', found ${s.outputs.length} (${s.outputs.map((o) => o.name).join(', ')})`);
  const [input] = s.inputs;
  const [output] = s.outputs;
  const naming = `(torch.onnx.export(..., input_names=['${INPUT_NAME}'], output_names=['${OUTPUT_NAME}']))`;
  if (input.name !== INPUT_NAME) fail(`its input is named '${input.name}', the contract needs '${INPUT_NAME}' ${naming}`);
  if (output.name !== OUTPUT_NAME) fail(`its output is named '${output.name}', the contract needs '${OUTPUT_NAME}' ${naming}`);
  if (input.elemType !== 'FLOAT' || output.elemType !== 'FLOAT') fail(`input and output must be float32 tensors, got ${input.elemType} and ${output.elemType}`);
  if (input.shape === null || !fits(input.shape, [undefined, c, h, w])) fail(`input '${INPUT_NAME}' is ${dims(input)}, the dataset needs [N, ${c}, ${h}, ${w}] (NCHW)`);
  const want = job.ir.task === 'segmentation' ? [undefined, classes, h, w] : [undefined, classes];
  if (output.shape === null || !fits(output.shape, want)) fail(`output '${OUTPUT_NAME}' is ${dims(output)}, expected [N, ${want.slice(1).join(', ')}] (softmax over ${classes} classes)`);

  const ours: Record<string, string> = {
    template: job.ir.template,
    task: job.ir.task,
    input_layout: 'NCHW',
    architecture: JSON.stringify(job.ir),
    configuration: JSON.stringify(job.values),
    metrics: JSON.stringify(metrics),
    ...runMetadata(ctx),
  };
  const kept = (model.metadata_props ?? []).filter((p) => !((p.key ?? '') in ours) && !(METADATA_KEYS as readonly string[]).includes(p.key ?? ''));
  model.metadata_props = [...kept, ...Object.entries(ours).map(([key, value]) => ({ key, value }))];
  return encodeModel(model);
}
