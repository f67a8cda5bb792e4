/**
 * An IR as a function of tfjs ops over our own variables (no tf.layers: we control the names,
 * the fusions and the initialisation). Variables are named by the weight contract of
 * @marl-hpo/arch (weightSpecs), which the ONNX exporter consumes.
 */
import * as tf from '@tensorflow/tfjs';
import { analyze, INPUT, type ArchitectureIR, type WeightMap } from '@marl-hpo/arch';
import { TrainerError } from './errors';
import { layerDef } from './layers';
import type { ApplyContext, Init, Layer } from './layers/layer';
import { deriveSeed, rng } from './rng';

export interface Model {
  ir: ArchitectureIR;
  /** Logits: [N, classes] or [N, H, W, classes]. `seed` drives dropout while training. */
  apply(x: tf.Tensor4D, opts?: { training?: boolean; seed?: number }): tf.Tensor;
  /** Every weight by contract name, in weightSpecs order (batch-norm statistics included). */
  variables: Map<string, tf.Variable>;
  /** The trainable subset. */
  trainable: tf.Variable[];
  /** A copy of the current weights. */
  getWeights(): WeightMap;
  /** Overwrites the weights (names and shapes must match). */
  setWeights(weights: WeightMap): void;
  dispose(): void;
}

/** 'he': He-uniform for layers followed by a ReLU, Glorot-uniform for the others; 'glorot': Glorot-uniform everywhere. */
export type InitScheme = 'he' | 'glorot';

export interface BuildOptions {
  /** Seed of the initialisation of weights not given. Default 0. */
  seed?: number;
  /** Default 'he'. */
  init?: InitScheme;
}

function initial(init: Init, shape: number[], seed: number, scheme: InitScheme): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (init.kind === 'const') return data.fill(init.value);
  const limit = init.kind === 'heUniform' && scheme === 'he' ? Math.sqrt(6 / init.fanIn) : Math.sqrt(6 / (init.fanIn + init.fanOut));
  const r = rng(seed);
  for (let i = 0; i < data.length; i++) data[i] = (2 * r() - 1) * limit;
  return data;
}

/** Builds the model; `weights` (e.g. trained ones) must hold every weight of weightSpecs(ir) with its shape. */
export function buildModel(ir: ArchitectureIR, weights?: WeightMap, opts: BuildOptions = {}): Model {
  const analysis = analyze(ir);
  const seed = opts.seed ?? 0;
  const variables = new Map<string, tf.Variable>();
  const trainable: tf.Variable[] = [];
  const expected = new Map(analysis.analyzed.flatMap((a) => a.weights).map((w) => [w.name, w]));

  const ctx = {
    weight(name: string, shape: number[], init: Init, isTrainable = true): tf.Variable {
      const spec = expected.get(name);
      if (!spec || spec.shape.join() !== shape.join() || spec.trainable !== isTrainable) {
        throw new Error(`trainer and weight contract disagree on '${name}' [${shape}] (contract: ${spec ? `[${spec.shape}]` : 'absent'})`);
      }
      let data: Float32Array;
      if (weights) {
        const given = weights[name];
        if (!given) throw new TrainerError(`weights: missing '${name}'`);
        if (given.shape.join() !== shape.join() || given.data.length !== given.shape.reduce((a, b) => a * b, 1)) {
          throw new TrainerError(`weights: '${name}' has shape [${given.shape}], the model needs [${shape}]`);
        }
        data = given.data;
      } else {
        data = initial(init, shape, deriveSeed(seed, name), opts.init ?? 'he');
      }
      const v = tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), isTrainable));
      variables.set(name, v);
      if (isTrainable) trainable.push(v);
      return v;
    },
  };

  let layers: { name: string; inputs: string[]; layer: Layer }[];
  try {
    layers = analysis.analyzed.map((a) => ({ name: a.node.name, inputs: a.inputs, layer: layerDef(a.node).build(a.node, a.inputShapes, ctx, { readsModelInput: a.inputs[0] === INPUT }) }));
  } catch (e) {
    for (const v of variables.values()) v.dispose();
    throw e;
  }
  // Contract order, whatever order the layers created their variables in.
  const ordered = new Map([...expected.keys()].map((name) => [name, variables.get(name) as tf.Variable]));

  const model: Model = {
    ir,
    variables: ordered,
    trainable,
    apply(x, { training = false, seed: stepSeed = 0 } = {}) {
      const apply: ApplyContext = { training, seed: (layer) => deriveSeed(stepSeed, layer) };
      return tf.tidy(() => {
        const outputs = new Map<string, tf.Tensor>([[INPUT, x]]);
        let last: tf.Tensor = x;
        for (const { name, inputs, layer } of layers) {
          last = layer(
            inputs.map((i) => outputs.get(i) as tf.Tensor),
            apply,
          );
          outputs.set(name, last);
        }
        return last;
      });
    },
    getWeights() {
      const out: WeightMap = {};
      for (const [name, v] of ordered) out[name] = { shape: v.shape.slice(), data: v.dataSync().slice() as Float32Array };
      return out;
    },
    setWeights(w) {
      for (const [name, v] of ordered) {
        const given = w[name];
        if (!given || given.shape.join() !== v.shape.join()) throw new TrainerError(`weights: '${name}' missing or not [${v.shape}]`);
        tf.tidy(() => v.assign(tf.tensor(given.data, given.shape, 'float32')));
      }
    },
    dispose() {
      for (const v of ordered.values()) v.dispose();
    },
  };
  return model;
}
