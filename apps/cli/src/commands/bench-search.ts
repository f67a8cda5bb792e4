import { algorithms as allAlgorithms, type Algorithm } from '@marl-hpo/agents';
import { checkTableMetrics, loadTable, RANDOM_EQUIVALENT_CAP, runSearchBench } from '@marl-hpo/bench';
import { parseRewardSpec } from '@marl-hpo/search';
import { intFlag, jsonFlag, table, UsageError, type Command } from '../cli';

export const benchSearch: Command = {
  path: ['bench', 'search'],
  usage:
    'bench search --table <t.json> [--algorithms marl,random,qlearning,evolution,tpe] [--budget 100] [--repeats 50] [--objective <json>] [--seed 0] [--accounting episodes|evaluations] [--agent-options <json>] [--json]',
  summary: 'Compare search algorithms on a table of measured configurations (no training)',
  options: {
    table: { type: 'string' },
    algorithms: { type: 'string' },
    budget: { type: 'string' },
    repeats: { type: 'string' },
    objective: { type: 'string' },
    seed: { type: 'string' },
    accounting: { type: 'string' },
    'agent-options': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const file = values['table'];
    if (typeof file !== 'string') throw new UsageError(`--table: required (usage: marl-hpo ${benchSearch.usage})`);
    const names = String(values['algorithms'] ?? allAlgorithms.join(',')).split(',').filter(Boolean);
    for (const a of names) {
      if (!allAlgorithms.includes(a as Algorithm)) throw new UsageError(`--algorithms: unknown '${a}' (algorithms: ${allAlgorithms.join(', ')})`);
    }
    const accounting = values['accounting'] ?? 'episodes';
    if (accounting !== 'episodes' && accounting !== 'evaluations') throw new UsageError(`--accounting: expected 'episodes' or 'evaluations', got '${String(accounting)}'`);
    const t = loadTable(file);
    const objectiveJson = jsonFlag(values, 'objective');
    const objective =
      objectiveJson !== undefined ? parseRewardSpec(objectiveJson, '--objective') : (t.objective ?? parseRewardSpec([{ metric: 'accuracy', goal: 'max' }]));
    checkTableMetrics(t, objective, objectiveJson !== undefined ? '--objective' : file);
    const agentOptions = jsonFlag(values, 'agent-options') ?? {};
    if (typeof agentOptions !== 'object' || agentOptions === null || Array.isArray(agentOptions)) {
      throw new UsageError('--agent-options: expected {"<algorithm>": {<option>: value}}');
    }
    const result = runSearchBench(t, {
      algorithms: names as Algorithm[],
      budget: intFlag(values, 'budget', 100, 1),
      repeats: intFlag(values, 'repeats', 50, 1),
      seed: intFlag(values, 'seed', 0, 0),
      objective,
      accounting,
      agentOptions: agentOptions as Record<string, Record<string, unknown>>,
      onAlgorithm: (a, s) => {
        if (io.isTTY && !values['json']) io.err(`${a}: ${s.toFixed(1)} s`);
      },
    });
    if (values['json']) {
      io.out(JSON.stringify(result));
      return;
    }
    const cps = result.checkpoints;
    io.out(`${result.table}: ${result.rows} rows of ${result.configurations} configurations; optimum ${result.optimum.toFixed(4)}, top 1% (${result.top1pct.rows} rows) >= ${result.top1pct.threshold.toFixed(4)}`);
    io.out(`${result.repeats} repeats of ${result.budget} ${result.accounting}, seed ${result.seed}; best reward: mean (95% CI half-width)\n`);
    io.out(
      table(
        ['algorithm', ...cps.map((c) => `best@${c}`), `regret@${result.budget}`, 'evalsToTop1pct', 'reached', 'random-equivalent evals'],
        Object.entries(result.results).map(([a, r]) => [
          a,
          ...cps.map((c) => {
            const { mean, ci95 } = r.bestReward[String(c)];
            return ci95 ? `${mean.toFixed(4)} (${((ci95[1] - ci95[0]) / 2).toFixed(4)})` : mean.toFixed(4);
          }),
          r.regret[String(result.budget)].mean.toFixed(4),
          r.evalsToTop1pct,
          `${Math.round(r.top1pctReached * 100)}%`,
          r.randomEquivalentEvals === null ? `> ${RANDOM_EQUIVALENT_CAP * result.budget}` : r.randomEquivalentEvals.toFixed(1),
        ]),
      ),
    );
  },
};
