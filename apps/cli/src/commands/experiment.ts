import path from 'node:path';
import { experimentPresets, runExperiment } from '@marl-hpo/experiments';
import { intFlag, UsageError, type Command } from '../cli';

export const experiment: Command = {
  path: ['experiment'],
  usage: `experiment <${experimentPresets.map((p) => p.name).join('|')}> [--budget N] [--seeds N] [--algorithms marl,random,...] [--multi-fidelity] [--no-final] [--tiny] [--workers N] [--trainer tfjs|torch|<package>] [--out dir] [--json | --quiet]`,
  summary: "Reproduce the method's headline: baseline vs marl and the baselines, same budget and seeds; writes results.md",
  options: {
    budget: { type: 'string' },
    seeds: { type: 'string' },
    algorithms: { type: 'string' },
    'multi-fidelity': { type: 'boolean' },
    'no-final': { type: 'boolean' },
    tiny: { type: 'boolean' },
    workers: { type: 'string' },
    trainer: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  async run({ positionals, values }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected one experiment name (usage: marl-hpo ${experiment.usage})`);
    const name = positionals[0];
    // One plain line per evaluation on stderr (terminal or log file); silent with --json or --quiet.
    const progress = !values['json'] && !values['quiet'];
    const trainer = typeof values['trainer'] === 'string' ? values['trainer'] : undefined;
    const ac = new AbortController();
    const onSigint = () => (ac.signal.aborted ? process.exit(130) : ac.abort());
    process.on('SIGINT', onSigint);
    try {
      const summary = await runExperiment(name, {
        // Runs with another trainer go to their own folder (a run resumes only with the same config).
        out: typeof values['out'] === 'string' ? values['out'] : path.join('experiments', name + (values['tiny'] ? '-tiny' : '') + (trainer && trainer !== 'tfjs' ? `-${trainer.replace(/[^\w.-]+/g, '_')}` : '')),
        budget: values['budget'] === undefined ? undefined : intFlag(values, 'budget', 0, 1),
        seeds: values['seeds'] === undefined ? undefined : intFlag(values, 'seeds', 0, 1),
        algorithms: typeof values['algorithms'] === 'string' ? values['algorithms'].split(',').map((a) => a.trim()) : undefined,
        multiFidelity: values['multi-fidelity'] === true,
        tiny: values['tiny'] === true,
        final: values['no-final'] !== true,
        workers: intFlag(values, 'workers', 1, 1),
        trainer,
        workerScript: path.join(__dirname, 'eval.worker.js'),
        signal: ac.signal,
        log: (line) => progress && io.err(line),
        note: (line) => io.err(`marl-hpo: ${line}`),
        onEpisode: (run, e) => progress && io.err(`${run}: episode ${e.done}/${e.total ?? '?'} reward ${e.record.reward.toFixed(4)} best ${e.best?.reward.toFixed(4) ?? '-'}`),
      });
      if (values['json']) io.out(JSON.stringify(summary));
      else io.out(summary.markdown);
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
