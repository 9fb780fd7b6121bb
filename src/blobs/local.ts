// BlobStore on a local directory. Writes go to a temp file in `<dir>/.tmp` (same file
// system) and are renamed into place, so a reader or a crash never sees a half file.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from './types.js';
import { assertBlobKey, assertBlobPrefix } from './keys.js';

const TMP = '.tmp';

export interface LocalBlobStore extends BlobStore {
  /** Absolute path of a key's file (for streaming it out without buffering). */
  pathOf(key: string): string;
}

export function createLocalBlobStore(dir: string): LocalBlobStore {
  const root = resolve(dir);
  const tmpDir = join(root, TMP);
  mkdirSync(root, { recursive: true });
  // Temp files left by a crash are garbage; nothing else lives there.
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });

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
