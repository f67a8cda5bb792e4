#!/usr/bin/python3
"""Optuna's TPE on a search-benchmark table: the same table, objective, seeds and JSON output as
`marl-hpo bench search`, so TPE's figures compare directly with the TypeScript algorithms.

    /usr/bin/python3 tools/bench/tpe_table.py --table tools/bench/tables/chain6.json \
        --budget 100 --repeats 50 --seed 0 [--objective '<json>'] [--accounting evaluations] [--multivariate] \
        [--coding categorical|int]

Results are keyed 'optuna-categorical' or 'optuna-int'. Tables may hold any metric columns.

The reward and the summary statistics are written again here, independently of
libs/search/src/reward.ts and libs/bench/src/run.ts; libs/bench/src/tpe.spec.ts checks that both
agree (`--check` reads {table, objective, traces, budget} on stdin and prints rewards and figures).
"""
import argparse
import json
import math
import sys
import time

CHECKPOINTS = [10, 25, 50, 100]
MIN_REWARD = 0.0
MAX_STEPS_PER_EVALUATION = 200  # MAX_STEPS_PER_EVALUATION of libs/search/src/journal.ts


def reward(objective, row):
    """Product of one factor per objective; MIN_REWARD when failed, infeasible or unmeasured."""
    if row is None or 'error' in row:
        return MIN_REWARD
    m = row['metrics']
    named = [o['metric'] for o in objective['objectives']] + [c['metric'] for c in objective.get('constraints', [])]
    for name in named:
        v = m.get(name)
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            return MIN_REWARD
    for c in objective.get('constraints', []):
        v = m[c['metric']]
        if ('max' in c and v > c['max']) or ('min' in c and v < c['min']):
            return MIN_REWARD
    r = 1.0
    for o in objective['objectives']:
        v = m[o['metric']]
        if 'goal' in o:
            if v < 0 or (v == 0 and o['goal'] == 'min'):
                return MIN_REWARD
            r *= v if o['goal'] == 'max' else 1.0 / v
        else:
            if v < 0 or (v == 0 and o['weight'] < 0):
                return MIN_REWARD
            r *= (v / o['target']) ** o['weight']
    return r if math.isfinite(r) else MIN_REWARD


def t_two_sided_cdf(t, df):
    """P(|T| <= t), Abramowitz & Stegun 26.7.3-4."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        total, term = (1.0 if df > 1 else 0.0), 1.0
        for k in range(3, df - 1, 2):
            term *= (k - 1) / k * c2
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    total, term = 1.0, 1.0
    for k in range(2, df - 1, 2):
        term *= (k - 1) / k * c2
        total += term
    return math.sin(theta) * total


def t975(df):
    lo, hi = 0.0, 1000.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if t_two_sided_cdf(mid, df) < 0.95:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(xs):
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return {'mean': mean, 'ci95': None}
    var = sum((x - mean) ** 2 for x in xs) / (n - 1)
    half = t975(n - 1) * math.sqrt(var / n)
    return {'mean': mean, 'ci95': [mean - half, mean + half]}


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def quantile(xs, p):
    """Linear between order statistics (numpy's default), as stats.ts."""
    s = sorted(xs)
    h = (len(s) - 1) * p
    lo = math.floor(h)
    return s[lo] + (h - lo) * (s[lo + 1] - s[lo]) if lo + 1 < len(s) else s[lo]


def median_ci95(xs):
    """Order statistics n/2 -+ 1.96 sqrt(n) / 2, 1-based, clipped (stats.ts medianCi95)."""
    s = sorted(xs)
    n = len(s)
    half = 0.98 * math.sqrt(n)
    j = min(n, max(1, math.floor(n / 2 - half)))
    k = min(n, max(1, math.ceil(n / 2 + half)))
    return [s[j - 1], s[k - 1]]


def checkpoints_for(budget, checkpoints=None):
    return [c for c in (checkpoints or CHECKPOINTS) if c < budget] + [budget]


def summarize(traces, budget, optimum, threshold, checkpoints=None):
    """traces: per repeat, the reward of each costly evaluation; a short trace keeps its best."""
    cps = checkpoints_for(budget, checkpoints)
    best = []
    for trace in traces:
        b, curve = MIN_REWARD, []
        for r in trace:
            b = max(b, r)
            curve.append(b)
        best.append(curve)
    hits = [next((i + 1 for i, b in enumerate(curve) if b >= threshold), budget + 1) for curve in best]

    def after(curve, n):
        return curve[min(n, len(curve)) - 1] if curve else MIN_REWARD

    evaluated = sum(len(t) for t in traces)
    return {
        'bestReward': {str(c): mean_ci([after(curve, c) for curve in best]) for c in cps},
        'regret': {str(c): mean_ci([optimum - after(curve, c) for curve in best]) for c in cps},
        'evalsToTop1pct': median(hits),
        'evalsToTop1pctQuartiles': [quantile(hits, 0.25), quantile(hits, 0.75)],
        'evalsToTop1pctCi95': median_ci95(hits),
        'top1pctReached': sum(h <= budget for h in hits) / len(hits),
        'failedFraction': sum(sum(r == MIN_REWARD for r in t) for t in traces) / evaluated if evaluated else 0,
    }


def prechecked(objective, metrics):
    """True when a params/MACs constraint rejects the configuration before training."""
    for c in objective.get('constraints', []):
        v = metrics.get(c['metric'])
        if c['metric'] not in ('params', 'macs') or v is None:
            continue
        if not math.isfinite(v) or ('max' in c and v > c['max']) or ('min' in c and v < c['min']):
            return True
    return False


def random_search_figures(hits, pool, budget, with_replacement):
    """Exact median first hit and hit probability of uniform random search (see run.ts)."""
    miss, med = 1.0, budget + 1
    for n in range(1, budget + 1):
        miss *= 1 - hits / pool if with_replacement else max(0.0, (pool - hits - (n - 1)) / (pool - (n - 1)))
        if med > budget and 1 - miss >= 0.5:
            med = n
    return {'evalsToTop1pct': med, 'top1pctReached': 1 - miss}


def random_equivalent_evals(values, target, with_replacement, cap):
    """Evaluations uniform random search needs for an expected best reward of target (see run.ts):
    P(best of n <= k-th smallest) is (k/N)^n with replacement, C(k, n) / C(N, n) without."""
    v = sorted(values)
    big_n = len(v)
    previous = None
    for n in range(1, (cap if with_replacement else min(cap, big_n)) + 1):
        if with_replacement:
            below = [(k / big_n) ** n for k in range(big_n + 1)]
        else:
            log_all = math.lgamma(big_n + 1) - math.lgamma(big_n - n + 1)
            below = [math.exp(math.lgamma(k + 1) - math.lgamma(k - n + 1) - log_all) if k >= n else 0.0 for k in range(big_n + 1)]
        expected = sum(v[k - 1] * (below[k] - below[k - 1]) for k in range(1, big_n + 1))
        if expected >= target - 1e-12:
            return n if n == 1 or expected == previous else n - 1 + (target - previous) / (expected - previous)
        previous = expected
    return None


RANDOM_EQUIVALENT_CAP = 20  # RANDOM_EQUIVALENT_CAP of libs/bench/src/run.ts


def optuna_densities(req):
    """Optuna's own l(x) and g(x) (log densities over each slot's choices) after a history, computed
    as TPESampler.sample_independent does; libs/agents/src/tpe.spec.ts checks tpe.ts against them.
    req: {slots: [{name, choices}], coding: ['categorical' | 'int' per slot], history: [{config, reward}],
    options: tpe.ts option names}. None while the history is shorter than startupTrials. --densities
    reads a list of them on stdin and prints the list of answers."""
    import numpy as np
    import optuna
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
    from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs, default_weights

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    o = req['options']
    sampler = optuna.samplers.TPESampler(
        consider_prior=o['considerPrior'], prior_weight=o['priorWeight'], consider_magic_clip=o['considerMagicClip'],
        consider_endpoints=o['considerEndpoints'], n_startup_trials=o['startupTrials'],
        gamma=lambda n: min(int(np.ceil(o['gamma'] * n)), o['gammaMax']),
        weights=default_weights if o['weights'] == 'optuna' else (lambda n: np.ones(n)), seed=0)
    dists = {}
    for s, coding in zip(req['slots'], req['coding']):
        k = len(s['choices'])
        dists[s['name']] = (optuna.distributions.CategoricalDistribution(list(range(k))) if coding == 'categorical'
                            else optuna.distributions.IntDistribution(0, k - 1))
    study = optuna.create_study(direction='maximize', sampler=sampler)
    for h in req['history']:
        params = {name: h['config'][i] for i, name in enumerate(dists)}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=h['reward']))
    out = []
    for name, dist in dists.items():
        values, scores, violations = _get_observation_pairs(study, [name], False, False)
        n = len(scores)
        if n < sampler._n_startup_trials:
            return None
        below_idx, above_idx = _split_observation_pairs(scores, sampler._gamma(n), violations)
        x = np.asarray(values[name], dtype=float)
        xs = np.arange(len(dist.choices) if coding_of(dist) == 'categorical' else dist.high + 1)
        pe = lambda idx: _ParzenEstimator({name: x[idx]}, {name: dist}, sampler._parzen_estimator_parameters)
        out.append({'below': pe(below_idx).log_pdf({name: xs}).tolist(), 'above': pe(above_idx).log_pdf({name: xs}).tolist(),
                    'belowIndexes': below_idx.tolist(), 'aboveIndexes': above_idx.tolist()})
    return out


def coding_of(dist):
    import optuna
    return 'categorical' if isinstance(dist, optuna.distributions.CategoricalDistribution) else 'int'


def table_rewards(table, objective):
    return {tuple(r['choice']): reward(objective, r) for r in table['rows']}


def result_name(coding, multivariate):
    """The results key: 'optuna-categorical' or 'optuna-int' (TypeScript's own TPE is 'tpe')."""
    return f'optuna-{coding}' + ('-multivariate' if multivariate else '')


def run_tpe(table, objective, budget, repeats, seed, startup, multivariate, accounting='episodes', coding='categorical',
            checkpoints=None):
    import optuna  # imported here: --check runs without it

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rewards = table_rewards(table, objective)
    ranked = sorted(rewards.values(), reverse=True)
    optimum, top_rows = ranked[0], math.ceil(len(ranked) / 100)
    threshold = ranked[top_rows - 1]
    slots = table['slots']
    size = 1
    for s in slots:
        size *= len(s['choices'])
    free = {tuple(r['choice']) for r in table['rows'] if prechecked(objective, r['metrics'])}
    traces, distinct, proposals = [], 0, 0
    start = time.perf_counter()
    for r in range(repeats):
        sampler = optuna.samplers.TPESampler(seed=seed + r, n_startup_trials=startup, multivariate=multivariate)
        study = optuna.create_study(direction='maximize', sampler=sampler)
        trace, seen = [], set()

        def suggest(trial, s):
            # categorical: one category per choice; int: the choice index as an ordered integer.
            n = len(s['choices'])
            return trial.suggest_categorical(s['name'], list(range(n))) if coding == 'categorical' else trial.suggest_int(s['name'], 0, n - 1)

        def objective_fn(trial):
            config = tuple(suggest(trial, s) for s in slots)
            value = rewards.get(config, MIN_REWARD)
            if accounting == 'episodes' or not (config in seen or config in free):
                trace.append(value)
            seen.add(config)
            return value

        def stop(study, _trial):
            if len(trace) >= budget or (accounting == 'evaluations' and len(seen) >= size):
                study.stop()

        study.optimize(objective_fn, n_trials=budget if accounting == 'episodes' else budget * MAX_STEPS_PER_EVALUATION, callbacks=[stop])
        traces.append(trace)
        distinct += len(seen)
        proposals += len(study.trials)
    seconds = time.perf_counter() - start
    result = {'options': {'n_startup_trials': startup, 'multivariate': multivariate, 'coding': coding, 'optuna': optuna.__version__}}
    result.update(summarize(traces, budget, optimum, threshold, checkpoints))
    drawable = size if accounting == 'episodes' else size - len(free)
    pool = [v for c, v in rewards.items() if accounting == 'episodes' or c not in free]
    pool += [MIN_REWARD] * (drawable - len(pool))
    result['randomEquivalentEvals'] = random_equivalent_evals(pool, result['bestReward'][str(budget)]['mean'],
                                                              accounting == 'episodes', RANDOM_EQUIVALENT_CAP * budget)
    result.update({'distinctConfigs': distinct / repeats, 'proposals': proposals / repeats, 'seconds': seconds})
    return {
        'table': table['name'], 'configurations': size, 'rows': len(table['rows']), 'objective': objective,
        'optimum': optimum, 'top1pct': {'rows': top_rows, 'threshold': threshold},
        'budget': budget, 'repeats': repeats, 'seed': seed, 'accounting': accounting, 'checkpoints': checkpoints_for(budget, checkpoints),
        'randomSearchTheory': random_search_figures(sum(v >= threshold for v in rewards.values()),
                                                    size if accounting == 'episodes' else size - len(free), budget, accounting == 'episodes'),
        'results': {result_name(coding, multivariate): result},
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--table')
    p.add_argument('--budget', type=int, default=100)
    p.add_argument('--repeats', type=int, default=50)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--objective', help='JSON {objectives, constraints}; default: the table\'s, else accuracy max')
    p.add_argument('--startup', type=int, default=10, help='random trials before TPE (Optuna\'s default 10)')
    p.add_argument('--multivariate', action='store_true', help='multivariate TPE (models interactions)')
    p.add_argument('--coding', choices=['categorical', 'int'], default='categorical',
                   help='categorical: suggest_categorical per slot; int: suggest_int over the choice index (ordered)')
    p.add_argument('--accounting', choices=['episodes', 'evaluations'], default='episodes',
                   help='evaluations: repeated and params/MACs-rejected configurations are free, as in the search')
    p.add_argument('--checkpoints', help='comma-separated evaluation counts for best reward and regret (default 10,25,50,100)')
    p.add_argument('--json', action='store_true', help='accepted for symmetry with the CLI: the output is always JSON')
    p.add_argument('--check', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--densities', action='store_true', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.densities:
        print(json.dumps([optuna_densities(req) for req in json.load(sys.stdin)]))
        return
    if a.check:
        req = json.load(sys.stdin)
        rewards = [reward(req['objective'], r) for r in req['table']['rows']]
        equivalents = [random_equivalent_evals(q['values'], q['target'], q['withReplacement'], q['cap']) for q in req.get('pools', [])]
        print(json.dumps({'rewards': rewards, 'summary': summarize(req['traces'], req['budget'], req['optimum'], req['threshold'],
                                                                   req.get('checkpoints')),
                          'randomEquivalents': equivalents}))
        return
    if not a.table:
        p.error('--table is required')
    with open(a.table) as f:
        table = json.load(f)
    if a.objective:
        objective = json.loads(a.objective)
        if isinstance(objective, list):
            objective = {'objectives': objective}
    else:
        objective = table.get('objective') or {'objectives': [{'metric': 'accuracy', 'goal': 'max'}]}
    objective.setdefault('constraints', [])
    checkpoints = [int(c) for c in a.checkpoints.split(',')] if a.checkpoints else None
    print(json.dumps(run_tpe(table, objective, a.budget, a.repeats, a.seed, a.startup, a.multivariate, a.accounting, a.coding,
                             checkpoints)))


if __name__ == '__main__':
    main()
