// The workspace's import graph, read from the sources with TypeScript's own pre-processor:
// no module imports itself through a chain (madge --circular's check), and the libs depend on
// each other only in the directions of docs/DEVELOPING.md (also enforced by lint; this test
// does not need nx's project graph).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'generated' ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The workspace file an import names, or undefined for npm packages and node builtins. */
function resolve(from: string, spec: string): string | undefined {
  const lib = /^@marl-hpo\/([\w-]+)$/.exec(spec);
  if (lib) return path.join(root, 'libs', lib[1], 'src', 'index.ts');
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

function graph(files: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(f, 'utf8'), true, true);
    g.set(f, importedFiles.map((i) => resolve(f, i.fileName)).filter((x): x is string => x !== undefined));
  }
  return g;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index++); stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(path.relative(root, w)); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const libOf = (f: string) => /^libs\/([\w-]+)\//.exec(path.relative(root, f))?.[1];

// Which libs each lib may import (docs/DEVELOPING.md).
const allowed: Record<string, string[]> = {
  agents: [], arch: [], data: [],
  onnx: ['arch'], trainer: ['arch', 'data', 'onnx'], profiler: ['arch', 'onnx'],
  search: ['agents', 'arch', 'data', 'trainer', 'onnx', 'profiler'],
  bench: ['search', 'agents'], experiments: ['search', 'bench', 'arch'], queue: ['search', 'arch'],
  report: ['arch', 'search', 'agents'],
};

describe('import graph', () => {
  const files = ['libs', 'apps', 'test'].flatMap((d) => sources(path.join(root, d)));
  const g = graph(files);

  it('reads the sources it checks', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(g.get(path.join(root, 'libs/search/src/index.ts'))!.length).toBeGreaterThan(5);
  });

  it('has no import circle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    const a = path.join(root, 'a.ts'), b = path.join(root, 'b.ts');
    expect(cycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['a.ts', 'b.ts']]);
  });

  it('has every lib import only the libs it may', () => {
    const bad: string[] = [];
    for (const [from, tos] of g) {
      const src = libOf(from);
      if (!src) continue;
      expect(Object.keys(allowed)).toContain(src);
      for (const to of tos) {
        const dst = libOf(to);
        if (dst && dst !== src && !allowed[src].includes(dst)) bad.push(`${path.relative(root, from)} -> ${dst}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps the Redis client packages out of every lib but queue', () => {
    const users = files.filter((f) => libOf(f) && libOf(f) !== 'queue' && /from '(bullmq|ioredis)'/.test(fs.readFileSync(f, 'utf8')));
    expect(users.map((f) => path.relative(root, f))).toEqual([]);
    const pkg = (p: string) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8'));
    expect(Object.keys(pkg('package.json').dependencies)).not.toContain('bullmq');
    expect(Object.keys(pkg('libs/queue/package.json').dependencies).sort()).toEqual(['bullmq', 'ioredis']);
  });
});
