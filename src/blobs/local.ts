// BlobStore on a local directory. Writes go to a temp file in `<dir>/.tmp` (same file
// system) and are renamed into place, so a reader or a crash never sees a half file.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from './types.js';
import { assertBlobKey, assertBlobPrefix } from './keys.js';

const TMP = '.tmp';
/** Temp files older than this were left by a crash (another live process may share the dir). */
const STALE_TMP_MS = 60 * 60 * 1000;

function removeStaleTemps(tmpDir: string, olderThan: number): void {
  for (const name of readdirSync(tmpDir)) {
    const p = join(tmpDir, name);
    try {
      if (statSync(p).mtimeMs < olderThan) rmSync(p, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
}

export interface LocalBlobStore extends BlobStore {
  /** Absolute path of a key's file (for streaming it out without buffering). */
  pathOf(key: string): string;
}

export function createLocalBlobStore(dir: string): LocalBlobStore {
  const root = resolve(dir);
  const tmpDir = join(root, TMP);
  mkdirSync(tmpDir, { recursive: true });
  removeStaleTemps(tmpDir, Date.now() - STALE_TMP_MS);

  const pathOf = (key: string): string => {
    assertBlobKey(key);
    return join(root, ...key.split('/'));
  };

  return {
    pathOf,

    async put(key, data) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(data);
        await fh.sync(); // contents on disk before the rename makes them visible
      } catch (err) {
        await fh.close().catch(() => undefined);
        await rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
      try {
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },

    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw err;
      }
    },

    async delete(key) {
      const p = pathOf(key);
      try {
        await rm(p, { force: true });
      } catch (err) {
        // A key that names a directory is not a blob; leave it alone.
        if ((err as NodeJS.ErrnoException).code !== 'ERR_FS_EISDIR' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
      }
    },

    async deletePrefix(prefix) {
      assertBlobPrefix(prefix);
      // Every key that starts with `prefix`: entries of the prefix's directory whose names
      // start with its last part ("a/b" matches a/b, a/bc, a/b/...; "a/b/" only a/b/...).
      const cut = prefix.lastIndexOf('/');
      const dirPart = cut >= 0 ? prefix.slice(0, cut) : '';
      const namePart = cut >= 0 ? prefix.slice(cut + 1) : prefix;
      const base = dirPart ? join(root, ...dirPart.split('/')) : root;
      let entries: string[];
      try {
        entries = await readdir(base);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw err;
      }
      for (const name of entries) {
        if (name.startsWith('.')) continue; // temp area, never a key
        if (name.startsWith(namePart)) await rm(join(base, name), { recursive: true, force: true });
      }
    },
  };
}
