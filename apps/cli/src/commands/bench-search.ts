import { algorithms as allAlgorithms, type Algorithm } from '@marl-hpo/agents';
import { checkTableMetrics, loadTable, RANDOM_EQUIVALENT_CAP, runSearchBench, type ScreenOptions } from '@marl-hpo/bench';
import { parseRewardSpec, PROMOTION_DEFAULTS, type RewardSpec } from '@marl-hpo/search';
import { intFlag, jsonFlag, table, UsageError, type Command } from '../cli';

export const benchSearch: Command = {
  path: ['bench', 'search'],
  usage:
    'bench search --table <t.json> [--algorithms marl,random,qlearning,evolution,tpe] [--budget 100] [--repeats 50] [--objective <json>] [--seed 0] [--accounting episodes|evaluations] [--agent-options <json>] [--checkpoints 10,25,50] [--screen [<metric>=]<column>:<cost> [--promote 0.3] [--min-screened 20]] [--json]',
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
    checkpoints: { type: 'string' },
    screen: { type: 'string' },
    promote: { type: 'string' },
    'min-screened': { type: 'string' },
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
    const checkpoints = values['checkpoints'] === undefined ? undefined : String(values['checkpoints']).split(',').map((c) => {
      const n = Number(c);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--checkpoints: expected comma-separated integers >= 1, got '${String(values['checkpoints'])}'`);
      return n;
    });
    const screen = screenFlags(values, objective);
    const result = runSearchBench(t, {
      algorithms: names as Algorithm[],
      budget: intFlag(values, 'budget', 100, 1),
      repeats: intFlag(values, 'repeats', 50, 1),
      seed: intFlag(values, 'seed', 0, 0),
      objective,
      accounting,
      agentOptions: agentOptions as Record<string, Record<string, unknown>>,
      checkpoints,
      screen,
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
    const units = result.screen ? `full evaluations of cost (screening on ${result.screen.column} at ${result.screen.cost} each, top ${result.screen.promote} promoted)` : result.accounting;
    io.out(`${result.repeats} repeats of ${result.budget} ${units}, seed ${result.seed}; best reward: mean (95% CI half-width)\n`);
    io.out(
      table(
        ['algorithm', ...cps.map((c) => `best@${c}`), `regret@${result.budget}`, 'evalsToTop1pct (quartiles)', 'reached', 'random-equivalent evals'],
        Object.entries(result.results).map(([a, r]) => [
          a,
          ...cps.map((c) => {
            const { mean, ci95 } = r.bestReward[String(c)];
            return ci95 ? `${mean.toFixed(4)} (${((ci95[1] - ci95[0]) / 2).toFixed(4)})` : mean.toFixed(4);
          }),
          r.regret[String(result.budget)].mean.toFixed(4),
          `${fmt(r.evalsToTop1pct)} (${r.evalsToTop1pctQuartiles.map(fmt).join('-')})`,
          `${Math.round(r.top1pctReached * 100)}%`,
          r.randomEquivalentEvals === null ? `> ${RANDOM_EQUIVALENT_CAP * result.budget}` : r.randomEquivalentEvals.toFixed(1),
        ]),
      ),
    );
  },
};

const fmt = (x: number) => String(Number(x.toFixed(2)));

/** --screen [<metric>=]<column>:<cost> (the metric defaults to the first objective's), --promote, --min-screened. */
function screenFlags(values: Record<string, unknown>, objective: RewardSpec): ScreenOptions | undefined {
  const raw = values['screen'];
  if (raw === undefined) {
    for (const f of ['promote', 'min-screened']) if (values[f] !== undefined) throw new UsageError(`--${f} needs --screen`);
    return undefined;
  }
  const m = /^(?:([^=:]+)=)?([^=:]+):([^=:]+)$/.exec(String(raw));
  const cost = Number(m?.[3]);
  if (!m || !(cost > 0 && cost <= 1)) throw new UsageError(`--screen: expected [<metric>=]<column>:<cost>, cost in (0, 1] of a full evaluation (e.g. accuracy12:0.06), got '${String(raw)}'`);
  const promote = values['promote'] === undefined ? PROMOTION_DEFAULTS.promote : Number(values['promote']);
  if (!(promote > 0 && promote <= 1)) throw new UsageError(`--promote: expected a fraction in (0, 1], got '${String(values['promote'])}'`);
  return { column: m[2], replaces: m[1] ?? objective.objectives[0].metric, cost, promote, minScreened: intFlag(values, 'min-screened', PROMOTION_DEFAULTS.minScreened, 0) };
}
