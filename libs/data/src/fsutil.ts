/** Small filesystem helpers shared by the file-based sources. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mapOrdered } from './concurrency';
import { DataError } from './errors';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

export const isImageFile = (name: string) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/** Code-point order, the same on every machine and locale. */
export const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Subfolders and files of a folder (symlinks followed, dot-entries ignored), each sorted. */
export async function listDir(abs: string): Promise<{ dirs: string[]; files: string[] }> {
  const entries = await fsp.readdir(abs, { withFileTypes: true });
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await fsp.stat(path.join(abs, e.name)).catch(() => undefined);
      isDir = Boolean(s?.isDirectory());
      isFile = Boolean(s?.isFile());
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { dirs: dirs.sort(byName), files: files.sort(byName) };
}

/** Fails with a one-line DataError naming `shown` (the path as the user wrote it) unless it is a folder. */
export async function requireDir(abs: string, shown: string): Promise<void> {
  const s = await fsp.stat(abs).catch(() => undefined);
  if (!s) throw new DataError(`${shown}: folder not found`);
  if (!s.isDirectory()) throw new DataError(`${shown}: not a folder`);
}

/** [relative path, size, mtime] of each file: the part of a cache key that notices edited, added or removed files. */
export async function fileStamps(absRoot: string, rels: string[]): Promise<[string, number, number][]> {
  const out: [string, number, number][] = [];
  for await (const s of mapOrdered(rels, 32, async (rel) => {
    const st = await fsp.stat(path.join(absRoot, rel)).catch(() => undefined);
    return [rel, st?.size ?? -1, st?.mtimeMs ?? -1] as [string, number, number];
  })) {
    out.push(s);
  }
  return out;
}

/** Class names from `<dir>/classes.txt` (one a line), or undefined when there is none. */
export async function readClassesFile(absDir: string, shownDir: string): Promise<string[] | undefined> {
  const file = path.join(absDir, 'classes.txt');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const shown = path.join(shownDir, 'classes.txt');
  if (names.length === 0 || names.length > 256) throw new DataError(`${shown}: expected 1..256 class names, one a line, found ${names.length}`);
  if (new Set(names).size !== names.length) throw new DataError(`${shown}: class names must be distinct`);
  return names;
}
