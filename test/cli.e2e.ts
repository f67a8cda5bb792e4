import { getTemplate, spaceSize, summarize } from '@marl-hpo/arch';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ROOT } from './cli-helpers';

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'apps/cli/package.json'), 'utf8'));

test('--help lists the commands, --version prints the version', () => {
  const help = cli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: marl-hpo <command>/);
  expect(help.stdout).toMatch(/space <template>/);
  expect(help.stdout).toMatch(/arch <template>/);
  expect(cli(['--version']).stdout.trim()).toBe(version);
  expect(cli(['arch', '--help']).stdout).toMatch(/Usage: marl-hpo arch <template>/);
});

test('space --json gives the slots, their choices and the size of the search space', () => {
  const r = cli(['space', 'vgg', '--json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  const space = getTemplate('vgg').space();
  expect(out.slots).toEqual(space.slots);
  expect(out.size).toBe(spaceSize(space));
  expect(out.input).toEqual([28, 28, 1]);
  expect(out.baseline).toEqual(getTemplate('vgg').baseline());
});

test('arch prints a layer table; --json equals the library summary', () => {
  const text = cli(['arch', 'vgg', '--input', '224,224,3', '--classes', '1000']);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/total\s+\[1000\]\s+138,357,544/);
  const r = cli(['arch', 'unet', '--config', '{"enc1": {"filters": 8, "depth": 1}}', '--json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  const t = getTemplate('unet');
  const expected = summarize(t.instantiate({ ...t.baseline(), enc1: { filters: 8, depth: 1 } }));
  expect(out.params).toBe(expected.params);
  expect(out.macs).toBe(expected.macs);
  expect(out.layers[0]).toEqual({ name: 'enc1c1', kind: 'conv2d', outputShape: [64, 64, 8], params: 8 * 27 + 2 * 8 /* BN gamma, beta */, macs: 64 * 64 * 8 * 27 });
});

test.each([
  [['resnet'], /^marl-hpo: unknown command 'resnet'/],
  [['space', 'resnet'], /^marl-hpo: unknown template 'resnet'/],
  [['arch', 'vgg', '--config', '{bad'], /^marl-hpo: --config: malformed JSON/],
  [['arch', 'vgg', '--config', '{"b1c1": {"filters": 3, "kernel": 3}}'], /^marl-hpo: configuration\.b1c1: .* is not one of its choices/],
  [['arch', 'vgg', '--config', '{"nope": 1}'], /^marl-hpo: configuration\.nope: unknown slot/],
  [['arch', 'vgg', '--input', '28,28'], /^marl-hpo: --input: expected H,W,C/],
  [['arch', 'vgg', '--bogus'], /^marl-hpo: Unknown option '--bogus'/],
  [['space'], /^marl-hpo: expected one template name/],
])('bad input %j: one line naming the field, exit code 2', (args, message) => {
  const r = cli(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe('');
});
