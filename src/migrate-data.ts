// `likeness migrate-data --from DIR`: moves an embedded installation (DIR/likeness.db and
// DIR/blobs) onto the configured PostgreSQL and/or S3. Every table's rows are copied as they
// are (same columns on both dialects), then every blob; rows and objects that exist already
// are left alone, so an interrupted run can simply be run again. Queue tasks are not copied:
// the new installation's workers find unfinished jobs and trainings in the database and queue
// them again (the stranded-work sweep). Stop the embedded server first.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { openBlobStore } from './context.js';
import { openSqliteStore } from './store/sqlite.js';
import { openPostgresStore } from './store/postgres.js';

export interface MigrateReport {
  tables: number;
  rows: number;
  blobs: number;
}

const SKIP_TABLES = new Set(['queue_tasks', 'kysely_migration', 'kysely_migration_lock']);
/** Parents before children (foreign keys); other tables follow in name order. */
const FIRST = ['accounts', 'profiles'];
const PAGE = 500;

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // the temp area
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else if (entry.isFile()) yield p;
  }
}

const contentType = (key: string) =>
  key.endsWith('.jpg') ? 'image/jpeg' : key.endsWith('.png') ? 'image/png' : key.endsWith('.json') ? 'application/json' : 'application/octet-stream';

export async function migrateData(fromDir: string, config: Config, say: (line: string) => void = () => {}): Promise<MigrateReport> {
  const file = join(fromDir, 'likeness.db');
  if (!existsSync(file)) throw new Error(`no embedded database at ${file}`);
  if (!config.databaseUrl && !config.s3) throw new Error('set LIKENESS_DATABASE_URL and/or LIKENESS_S3_BUCKET: there is nowhere to move the data to');
  const source = await openSqliteStore(file);
  const report: MigrateReport = { tables: 0, rows: 0, blobs: 0 };
  try {
    if (config.databaseUrl) {
      const target = await openPostgresStore(config.databaseUrl);
      try {
        const names = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(source.db)).rows
          .map((r) => r.name)
          .filter((n) => !SKIP_TABLES.has(n));
        names.sort((a, b) => (FIRST.indexOf(a) + 1 || 99) - (FIRST.indexOf(b) + 1 || 99) || a.localeCompare(b));
        for (const table of names) {
          let copied = 0;
          for (let offset = 0; ; offset += PAGE) {
            const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by rowid limit ${PAGE} offset ${offset}`.execute(source.db)).rows;
            if (rows.length === 0) break;
            const res = await target.db
              .insertInto(table as never)
              .values(rows as never)
              .onConflict((oc) => oc.doNothing())
              .executeTakeFirst();
            copied += Number(res.numInsertedOrUpdatedRows ?? 0);
          }
          report.tables++;
          report.rows += copied;
          say(`${table}: ${copied} rows`);
        }
        // The URL-signing key of the embedded installation, so URLs it issued keep working.
        const keyFile = join(fromDir, 'url-signing.key');
        if (existsSync(keyFile)) {
          const value = (await readFile(keyFile, 'utf8')).trim();
          if (value) await target.nodeSecrets.getOrCreate('url-signing', () => value);
        }
      } finally {
        await target.close();
      }
    }
    if (config.s3) {
      const blobs = await openBlobStore(config);
      const root = join(fromDir, 'blobs');
      try {
        if (existsSync(root)) {
          for await (const path of walk(root)) {
            const key = relative(root, path).split(sep).join('/');
            await blobs.put(key, await readFile(path), contentType(key));
            report.blobs++;
          }
        }
        say(`blobs: ${report.blobs} files`);
      } finally {
        blobs.client?.destroy();
      }
    }
  } finally {
    await source.close();
  }
  return report;
}
