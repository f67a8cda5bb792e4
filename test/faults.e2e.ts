import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '@marl-hpo/arch';
import { decodeModel } from '@marl-hpo/onnx';
import { countsAgainstBudget, readJournal, type EvaluationRecord } from '@marl-hpo/search';
import { CLI, cli, ROOT, fileWriter } from './cli-helpers';
import { CliProcess, startRedis, type RedisServer } from './queue-helpers';

// A search under the faults a run folder must survive (issue 19), driven through the built CLI
// with the synthetic evaluator: a full disk (a small tmpfs), a second process on the folder
// (local and --queue), SIGKILL at random moments with two workers, a closed stdout, damaged
// files. After each: one journal record per episode, best.onnx decodes and is the best
// record's model, every JSON file parses, no temporary file is left.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
const base = {
  template: 'vgg',
  dataset: 'builtin:mnist',
  budget: { episodes: 24 },
  objectives: [{ metric: 'accuracy', goal: 'max' }, { metric: 'latencyMs', target: 0.5, weight: -0.07 }],
  constraints: [{ metric: 'params', max: 1_000_000 }],
  seed: 7,
  synthetic: { sleepSeconds: 0.02 },
};
const write = fileWriter(dir);
const comparable = (records: EvaluationRecord[]) => records.map(({ time: _t, timings: _s, ...r }) => r);
const running: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  fs.rmSync(dir, { recursive: true, force: true });
});

const bestOf = (records: EvaluationRecord[]) => records.filter((r) => r.status === 'ok' && !r.screen).reduce<EvaluationRecord | undefined>((b, r) => (!b || r.reward > b.reward ? r : b), undefined);
const configurationOf = (model: Uint8Array) => JSON.parse(decodeModel(model).metadata_props?.find((p) => p.key === 'configuration')?.value ?? 'null');

/**
 * What every run folder must hold, even right after a fault: a journal of whole records,
 * episodes 0..n-1 once each; agents.json, pareto.json, best.json that parse; best.onnx a whole
 * model of a journaled evaluation; no temporary file. `finished`: best.json and best.onnx are
 * the journal's best (a kill may land between writing the journal and best.onnx).
 */
function checkRunFolder(out: string, finished: boolean): EvaluationRecord[] {
  const { records, truncatedTail } = readJournal(path.join(out, 'journal.jsonl'));
  expect(records.map((r) => r.episode)).toEqual([...records.keys()]);
  // After a fault a file may not be written yet, never written in part.
  for (const f of ['agents.json', 'pareto.json', 'config.json']) {
    if (finished || fs.existsSync(path.join(out, f))) expect(() => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'))).not.toThrow();
  }
  const temps = [out, path.join(out, 'models')].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d) : [])).filter((f) => f.endsWith('.tmp'));
  if (finished) {
    expect(truncatedTail).toBe(false);
    expect(temps).toEqual([]);
    expect(fs.existsSync(path.join(out, 'run.lock'))).toBe(false);
  }
  const best = bestOf(records);
  if (!best) return records;
  const bestJson = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8')) as EvaluationRecord & { onnx?: string };
  const onnx = fs.readFileSync(path.join(out, 'best.onnx'));
  const of = records[bestJson.episode];
  expect(comparable([bestJson as EvaluationRecord])[0]).toMatchObject(comparable([of])[0]);
  if (finished) {
    expect(bestJson.episode).toBe(best.episode);
    expect(bestJson.onnx).toBe('best.onnx');
    expect(onnx.equals(fs.readFileSync(path.join(out, 'models', `${best.episode}.onnx`)))).toBe(true);
    expect(canonicalJson(configurationOf(onnx))).toBe(canonicalJson(best.values));
    expect(onnx.length).toBe(best.metrics.onnxBytes);
  } else {
    // Whole, and the model of a journaled evaluation (best.json or the one before it).
    const config = canonicalJson(configurationOf(onnx));
    expect(records.some((r) => r.status === 'ok' && canonicalJson(r.values) === config && r.metrics.onnxBytes === onnx.length)).toBe(true);
  }
  return records;
}

const reference = (() => {
  let records: EvaluationRecord[] | undefined;
  return () => {
    if (!records) {
      const out = path.join(dir, 'reference');
      expect(cli(['search', '--config', write('ref.json', base), '--out', out, '--quiet']).code).toBe(0);
      records = checkRunFolder(out, true);
    }
    return records;
  };
})();

// A tmpfs needs a mount namespace: as root, or as a user where user namespaces are allowed.
const mountDir = path.join(dir, 'probe');
fs.mkdirSync(mountDir);
const canMount = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${mountDir}`]).status === 0;
if (!canMount) console.warn('faults.e2e: cannot mount a tmpfs here (unshare -rm failed): the full-disk case is left to libs/search/src/atomic.spec.ts');

/** A small space: small Q-tables, so the journal, results.csv and models/ fill the disk rather than agents.json. */
const tinyTemplate = () =>
  write('tiny-template.json', {
    name: 'tiny', task: 'classification', input: [28, 28, 1], classes: 10,
    slots: [{ name: 'c1', choices: [4, 8, 12, 16, 24] }, { name: 'k1', choices: [1, 3, 5] }, { name: 'c2', choices: [4, 8, 12, 16, 24] }, { name: 'k2', choices: [1, 3, 5] }],
    baseline: { c1: 8, k1: 3, c2: 16, k2: 3 },
    layers: [
      { kind: 'conv2d', name: 'c1', filters: { slot: 'c1' }, kernel: { slot: 'k1' } }, { kind: 'maxPool', name: 'p1', size: 2 },
      { kind: 'conv2d', name: 'c2', filters: { slot: 'c2' }, kernel: { slot: 'k2' } }, { kind: 'globalAvgPool', name: 'g' }, { kind: 'dense', name: 'logits', units: 10, activation: 'linear' },
    ],
  });
const failedWrites = new Set<string>();

(canMount ? test : test.skip).each([
  // Where the disk fills (page-sized tmpfs blocks): agents.json, results.csv, the journal.
  ['vgg', 250],
  ['tiny', 16],
  ['tiny', 28],
])('a full disk (%s, %i KB left): one line, exit 2, nothing written damaged; with room again --resume finishes it; read-only: one line', (template, freeKb) => {
  const snap = path.join(dir, `full-${template}-${freeKb}`);
  const mnt = path.join(snap, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  const config = write(`full-${template}-${freeKb}.json`, { ...base, template: template === 'tiny' ? `custom:${tinyTemplate()}` : template, budget: { episodes: 40 }, synthetic: { sleepSeconds: 0 } });
  const node = `${process.execPath} ${CLI}`;
  // The run folder lives on a 600 KB tmpfs filled but for `freeKb`; snapshots are copied out.
  const script = `
    mount -t tmpfs -o size=600k tmpfs ${mnt} || exit 97
    head -c ${(600 - freeKb) * 1024} /dev/zero > ${mnt}/filler
    ${node} search --config ${config} --out ${mnt}/run --quiet > ${snap}/full.out 2> ${snap}/full.err; echo $? > ${snap}/full.rc
    cp -a ${mnt}/run ${snap}/full
    rm ${mnt}/filler
    ${node} search --config ${config} --out ${mnt}/run --resume --quiet > ${snap}/resumed.out 2> ${snap}/resumed.err; echo $? > ${snap}/resumed.rc
    cp -a ${mnt}/run ${snap}/resumed
    mount -o remount,ro ${mnt}
    ${node} search --config ${config} --out ${mnt}/run --resume --quiet > /dev/null 2> ${snap}/ro.err; echo $? > ${snap}/ro.rc
  `;
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  expect(r.status).toBe(0);
  const read = (f: string) => fs.readFileSync(path.join(snap, f), 'utf8');
  expect(read('full.rc').trim()).toBe('2');
  expect(read('full.err')).toMatch(/^marl-hpo: \S+\/run\/\S+: cannot write, no space left on the device \(ENOSPC\); what the run wrote is intact: make room, then continue with --resume\n$/);
  failedWrites.add(path.basename(read('full.err').split(':')[1]));
  const before = checkRunFolder(path.join(snap, 'full'), false);
  // Only whole lines: an append that did not fit was cut back off.
  expect(readJournal(path.join(snap, 'full', 'journal.jsonl')).truncatedTail).toBe(false);

  expect(read('resumed.rc').trim()).toBe('0');
  expect(read('resumed.err')).toBe('');
  expect(read('resumed.out')).toMatch(/wrote \S+best\.onnx/);
  const after = checkRunFolder(path.join(snap, 'resumed'), true);
  expect(comparable(after.slice(0, before.length))).toEqual(comparable(before));
  expect(after.filter(countsAgainstBudget)).toHaveLength(40);

  expect(read('ro.rc').trim()).toBe('2');
  expect(read('ro.err')).toMatch(/^marl-hpo: \S+\/run: cannot write the run folder \(EROFS\)\n$/);
}, 300_000);

(canMount ? test : test.skip)('the full disks above hit the writers of agents.json, results.csv and the journal', () => {
  expect([...failedWrites]).toEqual(expect.arrayContaining(['agents.json', 'results.csv', 'journal.jsonl']));
});

test('a second search on a running search\'s folder exits 2 naming the holder; the first finishes alone, as if alone', async () => {
  const out = path.join(dir, 'two-local');
  // Slow evaluations (24 x 0.5 s), so the first is still running while the second ones start.
  const config = write('two.json', { ...base, synthetic: { sleepSeconds: 0.5 } });
  const first = new CliProcess(['search', '--config', config, '--out', out, '--json']);
  running.push(first);
  await first.waitFor((l) => l.type === 'episode');
  for (const extra of [['--resume'], []]) {
    const second = cli(['search', '--config', config, '--out', out, '--json', ...extra]);
    expect(second.code).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(new RegExp(`^marl-hpo: ${out}: in use by search pid ${first.child.pid} on ${os.hostname()}, started \\S+ \\(run\\.lock\\); wait for it to end or stop it\\n$`));
    expect(first.child.exitCode).toBeNull();
  }
  expect((await first.exited).code).toBe(0);
  expect(comparable(checkRunFolder(out, true))).toEqual(comparable(reference()));
}, 120_000);

test('SIGKILL at random moments with two workers, then --resume: the stale lock is taken over, and the folder stays whole', async () => {
  const out = path.join(dir, 'killed');
  const config = write('killed.json', { ...base, budget: { episodes: 30 }, synthetic: { sleepSeconds: 0.03 } });
  let seed = 4242;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let kills = 0;
  let tookOver = 0;
  for (let attempt = 0; attempt < 30 && kills < 6; attempt++) {
    const args = ['search', '--config', config, '--out', out, '--workers', '2', '--json', ...(fs.existsSync(path.join(out, 'journal.jsonl')) ? ['--resume'] : [])];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const after = 1 + Math.floor(random() * 4);
    const delay = random() * 40;
    let episodes = 0;
    child.stdout.on('data', (d: Buffer) => {
      episodes += d.toString().split('\n').filter((l) => l.includes('"type":"episode"')).length;
      if (episodes >= after) setTimeout(() => child.kill('SIGKILL'), delay);
    });
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (c, s) => resolve({ code: c, signal: s })));
    if (/took over the lock of search pid \d+ on \S+, started \S+: that process is gone/.test(stderr)) tookOver++;
    if (signal !== 'SIGKILL') {
      expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      break;
    }
    kills++;
    checkRunFolder(out, false);
  }
  expect(kills).toBeGreaterThanOrEqual(3);
  expect(tookOver).toBeGreaterThanOrEqual(kills - 1);
  const done = cli(['search', '--config', config, '--out', out, '--workers', '2', '--resume', '--quiet']);
  expect(done.code).toBe(0);
  const records = checkRunFolder(out, true);
  expect(records.filter(countsAgainstBudget)).toHaveLength(30);
}, 300_000);

test('a closed stdout: `space vgg | head -2` and `search --json | head -1` do not crash; the search goes on and writes its run folder', () => {
  const sh = (cmd: string) => spawnSync('bash', ['-c', `${cmd}; echo "rc=\${PIPESTATUS[0]}" >&2`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const node = `${process.execPath} ${CLI}`;
  const space = sh(`${node} space vgg | head -2`);
  expect(space.stdout.split('\n')).toHaveLength(3);
  expect(space.stderr).toBe('rc=0\n');

  const out = path.join(dir, 'closed-stdout');
  const search = sh(`${node} search --config ${write('closed.json', base)} --out ${out} --json | head -1`);
  expect(JSON.parse(search.stdout).type).toBe('episode');
  expect(search.stderr).toBe('rc=0\n');
  expect(comparable(checkRunFolder(out, true))).toEqual(comparable(reference()));

  const quiet = sh(`${node} search --config ${write('closed2.json', { ...base, budget: { episodes: 4 } })} --out ${path.join(dir, 'closed-at-once')} | true`);
  expect(quiet.stderr).toMatch(/evaluation 4\/4 .*\nrc=0\n$/);
  checkRunFolder(path.join(dir, 'closed-at-once'), true);
}, 180_000);

test('damaged files on --resume: a cut best.onnx is rewritten from models/; a damaged model of the best is said, not shipped; stale temp files go', () => {
  const out = path.join(dir, 'damaged');
  const config = write('damaged.json', { ...base, budget: { episodes: 6 } });
  expect(cli(['search', '--config', config, '--out', out, '--quiet']).code).toBe(0);
  const best = bestOf(checkRunFolder(out, true)) as EvaluationRecord;
  const bestOnnx = path.join(out, 'best.onnx');
  const model = path.join(out, 'models', `${best.episode}.onnx`);
  const whole = fs.readFileSync(model);
  fs.truncateSync(bestOnnx, Math.floor(whole.length / 2));
  fs.writeFileSync(path.join(out, `.agents.json.${2 ** 22 + 1}.tmp`), '{"half');
  let r = cli(['search', '--config', config, '--out', out, '--resume', '--quiet']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`marl-hpo: ${out}: removed 1 temporary file left by an interrupted write (.agents.json.${2 ** 22 + 1}.tmp)\n`);
  expect(r.stdout).toContain(`wrote ${bestOnnx}`);
  checkRunFolder(out, true);

  // Both cut (as an older version could leave them on a full disk): no best.onnx rather than a wrong one.
  fs.truncateSync(model, Math.floor(whole.length / 2));
  fs.truncateSync(bestOnnx, Math.floor(whole.length / 2));
  r = cli(['search', '--config', config, '--out', out, '--resume', '--quiet']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`^marl-hpo: ${model}: not a whole ONNX model \\(.*\\): best\\.onnx \\(episode ${best.episode}\\) not written\\n$`));
  expect(r.stdout).toContain('no best.onnx');
  expect(r.stdout).not.toContain(`wrote ${bestOnnx}`);
  expect(fs.existsSync(bestOnnx)).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8')).onnx).toBeUndefined();
});

/** A finished 4-episode run, copied for each case below. */
const finishedRun = (() => {
  const out = path.join(dir, 'finished-4');
  return () => {
    if (!fs.existsSync(out)) expect(cli(['search', '--config', write('finished-4.json', { ...base, budget: { episodes: 4 } }), '--out', out, '--quiet']).code).toBe(0);
    return out;
  };
})();

test.each([
  ['an empty config.json', (out: string) => fs.writeFileSync(path.join(out, 'config.json'), ''), (out: string) => `^marl-hpo: ${out}/config\\.json: empty, cannot check that --resume continues the same search\\n$`],
  ['a cut config.json', (out: string) => fs.truncateSync(path.join(out, 'config.json'), 40), (out: string) => `^marl-hpo: ${out}/config\\.json: damaged \\(.*\\), cannot check that --resume continues the same search\\n$`],
  ['a changed config', (_out: string, config: string) => fs.writeFileSync(config, JSON.stringify({ ...base, objectives: [base.objectives[0], { ...base.objectives[1], target: 0.3 }] })), (out: string) => `^marl-hpo: ${out}/config\\.json: --resume needs the run's config \\(only budget may change\\), but objectives\\[1\\]\\.target is 0\\.5 in the run and 0\\.3 now\\n$`],
  ['a journal two processes wrote', (out: string) => {
    const lines = fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(out, 'journal.jsonl'), [...lines.slice(0, 3), lines[2], ...lines.slice(3)].join('\n'));
  }, (out: string) => `^marl-hpo: ${out}/journal\\.jsonl:4: episode 2 again \\(first on line 3\\): two processes wrote this journal at once\\n$`],
  ['a journal line with a bad field', (out: string) => {
    const lines = fs.readFileSync(path.join(out, 'journal.jsonl'), 'utf8').split('\n');
    lines[1] = lines[1].replace(/"reward":[^,]+/, '"reward":"high"');
    fs.writeFileSync(path.join(out, 'journal.jsonl'), lines.join('\n'));
  }, (out: string) => `^marl-hpo: ${out}/journal\\.jsonl:2: bad journal record: reward: Invalid input: expected number, received string\\n$`],
])('--resume with %s: one line naming the file, exit 2, nothing changed', (name, damage, message) => {
  const out = path.join(dir, `resume-${name.replace(/\W+/g, '-')}`);
  const config = write(`${path.basename(out)}.json`, { ...base, budget: { episodes: 4 } });
  fs.cpSync(finishedRun(), out, { recursive: true });
  damage(out, config);
  const files = () => Object.fromEntries(fs.readdirSync(out).filter((f) => f !== 'models').map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]));
  const before = files();
  const r = cli(['search', '--config', config, '--out', out, '--resume', '--quiet', '--json']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(message(out)));
  expect(files()).toEqual(before);
});

describe('--queue', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  test('a second coordinator on a folder exits 2 naming the holder; the first finishes alone', async () => {
    const worker = new CliProcess(['worker', '--queue', redis.url, '--json']);
    running.push(worker);
    await worker.waitFor((l) => l.type === 'ready');
    const out = path.join(dir, 'two-queue');
    const config = write('two-queue.json', { ...base, synthetic: { sleepSeconds: 0.5 } });
    const first = new CliProcess(['search', '--config', config, '--out', out, '--queue', redis.url, '--json']);
    running.push(first);
    await first.waitFor((l) => l.type === 'episode');
    const second = cli(['search', '--config', config, '--out', out, '--queue', redis.url, '--resume', '--json'], { timeout: 60_000 });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^marl-hpo: ${out}: in use by search pid ${first.child.pid} on ${os.hostname()}, .*\\n$`));
    expect(first.child.exitCode).toBeNull();
    expect((await first.exited).code).toBe(0);
    expect(comparable(checkRunFolder(out, true))).toEqual(comparable(reference()));
    await worker.stop();
  }, 120_000);
});
