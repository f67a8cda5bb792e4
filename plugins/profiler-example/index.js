// @ts-check
// Example profiler plug-in for marl-hpo. A search config selects it with
//   "profiler": { "backend": "@marl-hpo/profiler-example", "extra": { "label": "my board" } }
// marl-hpo imports this package on first use and calls register(api); the backend must be
// registered under the package's own name. Copy this file and replace `runOnce` with a call
// to your device (a board over ssh, a phone over adb, a vendor SDK...).
'use strict';

const NAME = '@marl-hpo/profiler-example';

/** @param {import('@marl-hpo/profiler').PluginApi} api */
function register(api) {
  /** @type {typeof import('onnxruntime-node') | undefined} */
  let ort;

  /** @type {import('@marl-hpo/profiler').ProfilerBackend} */
  const backend = {
    // Called once, lazily; a throw here marks the backend unavailable with this reason.
    async init() {
      ort = require('onnxruntime-node');
    },

    async measure(model, opts) {
      if (!ort) throw new Error(`${NAME}: measure() before init()`);
      const session = await ort.InferenceSession.create(model, { intraOpNumThreads: opts.threads, interOpNumThreads: opts.interOpThreads });
      try {
        /** @type {Record<string, import('onnxruntime-node').Tensor>} */
        const feeds = {};
        for (const input of session.inputMetadata) {
          if (!input.isTensor || input.type !== 'float32') throw new Error(`${NAME}: input '${input.name}' is not a float32 tensor`);
          // A symbolic first dimension is the batch; this example assumes the others are fixed.
          const shape = input.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? opts.batch : 1));
          feeds[input.name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
        }
        const runOnce = () => session.run(feeds);
        // The host's timing loop: warm-up, repeat until the median's CI is tight, same statistics as ort-cpu.
        const stats = await api.timeLoop(runOnce, opts);
        const label = typeof opts.extra?.label === 'string' ? opts.extra.label : 'this machine';
        return {
          p50Ms: stats.p50Ms,
          p90Ms: stats.p90Ms,
          meanMs: stats.meanMs,
          stdMs: stats.stdMs,
          runs: stats.runs,
          backend: NAME,
          device: `${label} (example plug-in, onnxruntime-node ${ort.env.versions.node})`,
          // Extra metrics, as declared in `metrics` below: a search may name them in its objectives
          // and constraints. Here the peak resident memory of this process (a real backend would
          // report the device's energy, peak memory...).
          metrics: { peakRssMb: process.resourceUsage().maxRSS / 1024 },
        };
      } finally {
        await session.release();
      }
    },

    // The names of the extra metrics measure() returns (checked against a search's objectives before training).
    metrics: ['peakRssMb'],
  };

  api.registerBackend(NAME, backend);
}

module.exports = { register };
