// Reference forward pass of an architecture IR with plain tfjs ops (cpu backend), written from the IR's
// documented semantics independently of libs/onnx; the ONNX parity tests compare onnxruntime against it.
// (When libs/trainer's predict(ir, weights, x) lands, the parity test runs against it as well.)
import { analyze, BATCH_NORM_EPSILON, INPUT, inceptionConvs, type Activation, type ArchitectureIR, type Padding, type WeightMap } from '@marl-hpo/arch';
import * as tf from '@tensorflow/tfjs';

// Global lookups (Math) are slow inside jest's vm sandbox; this runs ~10^7 times per test.
const imul = Math.imul;

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** He-uniform kernels, small biases, batch-norm statistics away from the identity: activations stay O(1). */
export function randomWeights(ir: ArchitectureIR, seed: number): WeightMap {
  const r = rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r();
  const weights: WeightMap = {};
  for (const { node, weights: specs } of analyze(ir).analyzed) {
    for (const spec of specs) {
      const s = spec.shape;
      const leaf = spec.name.slice(spec.name.lastIndexOf('/') + 1);
      let sample = () => u(-0.2, 0.2); // bias, beta, mean
      if (leaf === 'gamma' || leaf === 'variance') sample = () => u(0.5, 1.5);
      if (leaf === 'kernel' || leaf === 'depthwise_kernel') {
        // dense [in, units]; depthwise [kh, kw, cin, mult]; conv [kh, kw, cin, cout]; transposed conv [kh, kw, cout, cin]
        const fanIn = s.length === 2 ? s[0] : leaf === 'depthwise_kernel' ? s[0] * s[1] : node.kind === 'convTranspose' ? s[0] * s[1] * s[3] : s[0] * s[1] * s[2];
        const a = Math.sqrt(6 / fanIn);
        sample = () => u(-a, a);
      }
      const data = new Float32Array(s.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = sample();
      weights[spec.name] = { shape: s, data };
    }
  }
  return weights;
}

function activate(x: tf.Tensor, a: Activation): tf.Tensor {
  return a === 'relu' ? tf.relu(x) : a === 'sigmoid' ? tf.sigmoid(x) : a === 'tanh' ? tf.tanh(x) : x;
}

function w(weights: WeightMap, name: string): tf.Tensor {
  const t = weights[name];
  return tf.tensor(t.data, t.shape);
}

/** + bias, or batch norm with the stored statistics (inference), then the activation. */
function finish(y: tf.Tensor4D, weights: WeightMap, prefix: string, batchNorm: boolean, a: Activation): tf.Tensor4D {
  const z = batchNorm
    ? tf.batchNorm(y, w(weights, `${prefix}/bn/mean`) as tf.Tensor1D, w(weights, `${prefix}/bn/variance`) as tf.Tensor1D, w(weights, `${prefix}/bn/beta`) as tf.Tensor1D, w(weights, `${prefix}/bn/gamma`) as tf.Tensor1D, BATCH_NORM_EPSILON)
    : tf.add(y, w(weights, `${prefix}/bias`));
  return activate(z, a) as tf.Tensor4D;
}

function conv(x: tf.Tensor4D, weights: WeightMap, prefix: string, stride: number, padding: Padding, batchNorm: boolean, a: Activation): tf.Tensor4D {
  return finish(tf.conv2d(x, w(weights, `${prefix}/kernel`) as tf.Tensor4D, stride, padding), weights, prefix, batchNorm, a);
}

/** Logits of the IR for an NHWC batch: [N, classes] or [N, H, W, classes]. */
export function referenceLogits(ir: ArchitectureIR, weights: WeightMap, x: tf.Tensor4D): tf.Tensor {
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[INPUT, x]]);
    let last: tf.Tensor = x;
    for (const { node, inputs, outputShape } of analyze(ir).analyzed) {
      const ins = inputs.map((n) => {
        const v = values.get(n);
        if (!v) throw new Error(`reference: '${node.name}' reads unknown '${n}'`);
        return v;
      });
      const h = ins[0] as tf.Tensor4D;
      let y: tf.Tensor;
      switch (node.kind) {
        case 'conv2d':
          y = conv(h, weights, node.name, node.stride, node.padding, node.batchNorm, node.activation);
          break;
        case 'depthwiseConv2d':
          y = finish(tf.depthwiseConv2d(h, w(weights, `${node.name}/depthwise_kernel`) as tf.Tensor4D, node.stride, node.padding), weights, node.name, node.batchNorm, node.activation);
          break;
        case 'maxPool':
          y = tf.maxPool(h, node.size, node.stride, node.padding);
          break;
        case 'avgPool':
          y = tf.avgPool(h, node.size, node.stride, node.padding);
          break;
        case 'inception': {
          const names = new Set(inceptionConvs(node, h.shape[3]).map((c) => c.name));
          const c = (t: tf.Tensor4D, n: string) => conv(t, weights, `${node.name}/${n}`, 1, 'same', node.batchNorm, 'relu');
          const branches: tf.Tensor4D[] = [];
          if (names.has('b1x1')) branches.push(c(h, 'b1x1'));
          if (names.has('b3x3')) branches.push(c(c(h, 'b3x3reduce'), 'b3x3'));
          if (names.has('b5x5')) branches.push(c(c(h, 'b5x5reduce'), 'b5x5'));
          if (names.has('poolProj')) branches.push(c(tf.maxPool(h, 3, 1, 'same'), 'poolProj'));
          y = tf.concat(branches, 3);
          break;
        }
        case 'concat':
        case 'skip':
          y = tf.concat(ins, 3);
          break;
        case 'upsample': {
          const size: [number, number] = [outputShape[0], outputShape[1]];
          y = node.mode === 'bilinear' ? tf.image.resizeBilinear(h, size, false, true) : tf.image.resizeNearestNeighbor(h, size, false, false);
          break;
        }
        case 'convTranspose': {
          const out: [number, number, number, number] = [h.shape[0], outputShape[0], outputShape[1], outputShape[2]];
          y = finish(tf.conv2dTranspose(h, w(weights, `${node.name}/kernel`) as tf.Tensor4D, out, node.stride, node.padding), weights, node.name, node.batchNorm, node.activation);
          break;
        }
        case 'globalAvgPool':
          y = tf.mean(h, [1, 2]);
          break;
        case 'flatten':
          y = tf.reshape(ins[0], [ins[0].shape[0], -1]);
          break;
        case 'dense':
          y = activate(tf.add(tf.matMul(ins[0] as tf.Tensor2D, w(weights, `${node.name}/kernel`) as tf.Tensor2D), w(weights, `${node.name}/bias`)), node.activation);
          break;
        case 'dropout':
          y = ins[0];
          break;
      }
      values.set(node.name, y);
      last = y;
    }
    return last;
  });
}
