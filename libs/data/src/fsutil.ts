/** Small filesystem helpers shared by the file-based sources. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mapOrdered } from './concurrency';
import { BadFile, DataError } from './errors';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

export const isImageFile = (name: string) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/** Code-point order, the same on every machine and locale. */
export const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface Listing {
  dirs: string[];
  files: string[];
  /** Entries whose names are not valid UTF-8 (Linux allows any bytes), shown with \xHH escapes: no path string can name them. */
  badNames: { shown: string; isDir: boolean }[];
}

/** A file name as text, its bytes that are not UTF-8 escaped as \xHH. */
export function showName(name: Buffer): string {
  const text = name.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(name)) return text;
  let out = '';
  for (let i = 0; i < name.length; ) {
    // The shortest valid UTF-8 sequence at i (a character takes at most 4 bytes), else one stray byte.
    let len = 0;
    for (let n = 1; n <= 4 && i + n <= name.length; n++) {
      const piece = name.subarray(i, i + n);
      if (Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)) {
        len = n;
        break;
      }
    }
    if (len) out += name.toString('utf8', i, i + len);
    else out += `\\x${name[i].toString(16).padStart(2, '0')}`;
    i += len || 1;
  }
  return out;
}

/** Subfolders and files of a folder (symlinks followed, dot-entries ignored), each sorted. */
export async function listDir(abs: string): Promise<Listing> {
  const entries = await fsp.readdir(abs, { withFileTypes: true, encoding: 'buffer' });
  const dirs: string[] = [];
  const files: string[] = [];
  const badNames: Listing['badNames'] = [];
  for (const e of entries) {
    const raw = e.name as unknown as Buffer;
    if (raw[0] === 0x2e) continue; // '.'
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await fsp.stat(Buffer.concat([Buffer.from(abs + path.sep), raw])).catch(() => undefined);
      isDir = Boolean(s?.isDirectory());
      isFile = Boolean(s?.isFile());
    }
    if (!isDir && !isFile) continue;
    const name = raw.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(raw)) badNames.push({ shown: showName(raw), isDir });
    else if (isDir) dirs.push(name);
    else files.push(name);
  }
  return { dirs: dirs.sort(byName), files: files.sort(byName), badNames: badNames.sort((a, b) => byName(a.shown, b.shown)) };
}

/** Reads a file; an unreadable one (vanished, no permission) is a BadFile, not a crash. */
export async function readImageFile(abs: string, rel: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path.join(abs, rel));
  } catch (e) {
    throw new BadFile(rel, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const RENAME = 'rename it (e.g. convmv -f latin1 -t utf8)';

/** A folder that would name a class (or a part) must have a UTF-8 name: fails the load naming it. */
export function refuseBadFolderNames(listing: Listing, relDir: string, shownRoot: string): void {
  const dir = listing.badNames.find((b) => b.isDir);
  if (dir) throw new DataError(`${path.join(shownRoot, relDir, dir.shown)}: folder name is not valid UTF-8; ${RENAME}`);
}

/** The image files among `badNames`, as bad files (relative to the dataset root). */
export function badNameFiles(listing: Listing, relDir: string): BadFile[] {
  return listing.badNames.filter((b) => !b.isDir && isImageFile(b.shown)).map((b) => new BadFile(path.join(relDir, b.shown), `file name is not valid UTF-8; ${RENAME}`));
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
