import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  analyze,
  ArchError,
  builtinTemplates,
  canonicalJson,
  completeValues,
  getTemplate,
  indexesOf,
  inputProblem,
  spaceSize,
  summarize,
  valuesOf,
  weightSpecs,
  type ArchitectureIR,
} from './index';

describe.each(builtinTemplates.map((t) => [t.name, t] as const))('template %s', (_name, t) => {
  test('the baseline is a configuration of its space and builds', () => {
    const space = t.space();
    const idx = indexesOf(space, t.baseline());
    expect(valuesOf(space, idx)).toEqual(t.baseline());
    const ir = t.instantiate(t.baseline());
    expect(ir.task).toBe(t.task);
    expect(ir.template).toBe(t.name);
  });

  test('every slot choice builds, with the others at the baseline', () => {
    const space = t.space();
    for (const slot of space.slots) {
      for (const choice of slot.choices) {
        expect(() => t.instantiate({ ...t.baseline(), [slot.name]: choice })).not.toThrow();
      }
    }
  });

  test('smallest choices give fewer parameters and MACs than the baseline', () => {
    const space = t.space();
    const smallest = valuesOf(space, space.slots.map(() => 0));
    const small = summarize(t.instantiate(smallest));
    const base = summarize(t.instantiate(t.baseline()));
    expect(small.params).toBeLessThan(base.params / 10);
    expect(small.macs).toBeLessThan(base.macs / 5);
  });

  test('a choice out of range is an error naming the slot', () => {
    const space = t.space();
    const slot = space.slots[1];
    const idx = indexesOf(space, t.baseline());
    idx[1] = slot.choices.length;
    expect(() => valuesOf(space, idx)).toThrow(new RegExp(`configuration\\.${slot.name}: choice index ${slot.choices.length} out of range`));
    expect(() => t.instantiate({ ...t.baseline(), [slot.name]: 12345 })).toThrow(new RegExp(`configuration\\.${slot.name}: 12345 is not one of its choices`));
    expect(() => t.instantiate({ ...t.baseline(), nope: 1 })).toThrow(/configuration\.nope: unknown slot/);
  });
});

test('vgg scales its blocks and fully connected width to the input', () => {
  const vgg = getTemplate('vgg');
  const at = (input: number[]) => vgg.space({ input, classes: 10 }).slots.map((s) => s.name);
  expect(at([224, 224, 3]).filter((n) => n.endsWith('pool'))).toHaveLength(5);
  expect(at([28, 28, 1]).filter((n) => n.endsWith('pool'))).toHaveLength(4);
  expect(at([8, 8, 1]).filter((n) => n.endsWith('pool'))).toHaveLength(3);
  expect(vgg.baseline({ input: [28, 28, 1] })['fc1']).toBe(512);
  expect(vgg.baseline({ input: [224, 224, 3] })['fc1']).toBe(4096);
});

test('templateOptions.dropout sets the rate of the dropout layers (default: the original network\'s)', () => {
  const rates = (name: string, dropout?: number) =>
    getTemplate(name)
      .instantiate(getTemplate(name).baseline(), dropout === undefined ? {} : { dropout })
      .layers.filter((l) => l.kind === 'dropout')
      .map((l) => (l as { rate: number }).rate);
  expect(rates('vgg')).toEqual([0.5, 0.5]);
  expect(rates('vgg', 0)).toEqual([0, 0]);
  expect(rates('inception')).toEqual([0.4]);
  expect(rates('inception', 0.25)).toEqual([0.25]);
  expect(() => rates('vgg', 1)).toThrow(/^templateOptions\.dropout: expected a rate in \[0, 1\), got 1$/);
});

test('unet needs an input that 2x2 pooling can halve', () => {
  expect(() => getTemplate('unet').space({ input: [7, 7, 1] })).toThrow(/input: unet needs H and W divisible by 2/);
  expect(getTemplate('unet').space({ input: [28, 28, 1] }).slots.map((s) => s.name)).toEqual(['enc1', 'enc2', 'mid', 'dec2', 'dec1']);
});

test('a spatial size reaching 0 is rejected with the layer named, never built', () => {
  const ir: ArchitectureIR = {
    template: 'x',
    task: 'classification',
    input: [4, 4, 1],
    classes: 2,
    layers: [
      { kind: 'maxPool', name: 'p1', size: 2, stride: 2, padding: 'valid' },
      { kind: 'maxPool', name: 'p2', size: 2, stride: 2, padding: 'valid' },
      { kind: 'maxPool', name: 'p3', size: 2, stride: 2, padding: 'valid' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'd', units: 2, activation: 'linear' },
    ],
  };
  expect(() => analyze(ir)).toThrow(ArchError);
  expect(() => analyze(ir)).toThrow("layer 'p3' (maxPool): spatial size 1 with kernel 2, stride 2, padding 'valid' gives 0 (must be > 0)");
});

test('IR validation names the problem', () => {
  const base: ArchitectureIR = { template: 'x', task: 'classification', input: [8, 8, 1], classes: 2, layers: [{ kind: 'globalAvgPool', name: 'g' }, { kind: 'dense', name: 'd', units: 2, activation: 'linear' }] };
  expect(analyze(base).params).toBe(4);
  expect(() => analyze({ ...base, input: [8, 8] })).toThrow(/^input: expected \[H, W, C\]/);
  expect(() => analyze({ ...base, layers: [base.layers[0], { ...base.layers[1], name: 'g' }] })).toThrow("layers[1]: duplicate layer name 'g'");
  expect(() => analyze({ ...base, layers: [{ kind: 'nope', name: 'n' } as never] })).toThrow("layer 'n': unknown kind 'nope'");
  expect(() => analyze({ ...base, layers: [{ kind: 'dense', name: 'd', units: 2, activation: 'linear' }] })).toThrow(/needs a vector input/);
  expect(() => analyze({ ...base, classes: 3 })).toThrow('output: a classification model must end with shape [3], got [2]');
  expect(() => analyze({ ...base, layers: [{ kind: 'skip', name: 's', from: 'later' }, ...base.layers] })).toThrow("layer 's' (skip): reads 'later', which is not an earlier layer");
});

test('weight specs follow the trainer/ONNX contract and sum to the parameter count', () => {
  const t = getTemplate('unet');
  const ir = t.instantiate(t.baseline());
  const specs = weightSpecs(ir);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  expect(specs.filter((s) => s.trainable).reduce((n, s) => n + size(s.shape), 0)).toBe(summarize(ir).params);
  expect(specs.find((s) => s.name === 'enc1c1/kernel')?.shape).toEqual([3, 3, 3, 64]);
  expect(specs.find((s) => s.name === 'enc1c1/bn/variance')).toEqual({ name: 'enc1c1/bn/variance', shape: [64], trainable: false });
  expect(specs.find((s) => s.name === 'enc1c1/bias')).toBeUndefined();
  expect(specs.find((s) => s.name === 'dec4up/kernel')?.shape).toEqual([2, 2, 512, 1024]);
  const inc = getTemplate('inception');
  expect(weightSpecs(inc.instantiate(inc.baseline())).filter((s) => s.name.startsWith('inc3a/')).map((s) => s.name)).toEqual(
    ['b1x1', 'b3x3reduce', 'b3x3', 'b5x5reduce', 'b5x5', 'poolProj'].flatMap((b) => [`inc3a/${b}/kernel`, `inc3a/${b}/bias`]),
  );
});

test('space helpers', () => {
  const space = { slots: [{ name: 'a', choices: [1, 2, 3] }, { name: 'b', choices: [{ x: 1, y: 2 }, 'z'] }] };
  expect(spaceSize(space)).toBe(6);
  expect(indexesOf(space, { a: 3, b: { y: 2, x: 1 } })).toEqual([2, 0]);
  expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  expect(completeValues(space, { a: 1, b: 'z' }, { a: 2 })).toEqual({ a: 2, b: 'z' });
  expect(() => completeValues(space, { a: 1, b: 'z' }, [] as never)).toThrow(/expected an object/);
  expect(() => indexesOf(space, { a: 1 })).toThrow('configuration.b: missing');
});

test('inputProblem says which inputs a template cannot take, with the reason the IR check gives', () => {
  const t = (name: string) => getTemplate(name);
  const at = (side: number, h = side) => ({ input: [h, side, 1] as [number, number, number], classes: 3 });
  expect(inputProblem(t('vgg'), at(1))).toBe("layer 'b1pool' (maxPool): spatial size 1 with kernel 2, stride 2, padding 'valid' gives 0 (must be > 0)");
  expect(inputProblem(t('vgg'), at(2))).toBeUndefined();
  expect(inputProblem(t('unet'), at(5))).toBe('input: unet needs H and W divisible by 2 and at least 4, got 5x5');
  expect(inputProblem(t('unet'), at(6, 3))).toBe('input: unet needs H and W divisible by 2 and at least 4, got 3x6');
  expect(inputProblem(t('unet'), at(6, 4))).toBeUndefined();
  expect(inputProblem(t('unet'), at(8))).toBeUndefined();
  expect(inputProblem(t('inception'), at(1))).toBeUndefined();
});

describe('custom template', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-custom-'));
  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const spec = {
    name: 'tiny',
    task: 'classification',
    input: [16, 16, 1],
    classes: 3,
    slots: [
      { name: 'c1', choices: [{ filters: 4, kernel: 3 }, { filters: 8, kernel: 5 }] },
      { name: 'pool', choices: ['maxPool', 'avgPool'] },
    ],
    baseline: { c1: { filters: 8, kernel: 5 }, pool: 'maxPool' },
    layers: [
      { kind: 'conv2d', name: 'c1', filters: { slot: 'c1', key: 'filters' }, kernel: { slot: 'c1', key: 'kernel' } },
      { kind: { slot: 'pool' }, name: 'p', size: 2 },
      { kind: 'globalAvgPool', name: 'gap' },
      { kind: 'dense', name: 'logits', units: 3, activation: 'linear' },
    ],
  };

  test('slot references are substituted and defaults filled', () => {
    const t = getTemplate(`custom:${write('ok.json', spec)}`);
    expect(t.space().slots.map((s) => s.name)).toEqual(['c1', 'pool']);
    const ir = t.instantiate({ c1: { filters: 4, kernel: 3 }, pool: 'avgPool' });
    expect(ir.layers[0]).toEqual({ kind: 'conv2d', name: 'c1', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', batchNorm: false });
    expect(ir.layers[1]).toEqual({ kind: 'avgPool', name: 'p', size: 2, stride: 2, padding: 'valid' });
    expect(summarize(ir).params).toBe(4 * 9 + 4 + 4 * 3 + 3);
  });

  test('errors name the file and field', () => {
    expect(() => getTemplate(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read custom template \(ENOENT\)/);
    expect(() => getTemplate(write('bad.json', '{"name": '))).toThrow(/bad\.json: malformed JSON/);
    expect(() => getTemplate(write('noclass.json', { ...spec, classes: 0 }))).toThrow(/noclass\.json: 'classes' must be a positive integer/);
    expect(() => getTemplate(write('ref.json', { ...spec, layers: [{ ...spec.layers[0], filters: { slot: 'zz' } }, ...spec.layers.slice(1)] }))).toThrow(
      /ref\.json: layers\[0\]\.filters: refers to unknown slot 'zz'/,
    );
    expect(() => getTemplate(write('base.json', { ...spec, baseline: { c1: 3, pool: 'maxPool' } }))).toThrow(/configuration\.c1: 3 is not one of its choices/);
  });

  test('unknown template', () => {
    expect(() => getTemplate('resnet')).toThrow("unknown template 'resnet' (built in: vgg, inception, unet; or custom:<file.json>)");
  });
});
