// The Store port over any Kysely database with our schema (SQLite or Postgres): one
// repository per aggregate, each in repositories/, composed here. Only portable SQL.
import type { Kysely } from 'kysely';
import type { Store } from './types.js';
import type { Database } from './schema.js';
import { strictlyIncreasing } from './rows.js';
import { migrateToLatest } from './migrations.js';
import { createAccountRepository, createKeyRepository, createNodeSecretRepository, createWebhookSecretRepository } from './repositories/accounts.js';
import { createProfileRepository } from './repositories/profiles.js';
import { createJobRepository } from './repositories/jobs.js';
import { createFileRepository } from './repositories/files.js';
import { createUploadRepository } from './repositories/uploads.js';
import { createDeliveryRepository } from './repositories/deliveries.js';
import { createCreditRepository } from './repositories/credits.js';

export { CLIENT_REQUEST_ID_TTL_MS } from './repositories/jobs.js';
export { hashKey, newWebhookSecret } from './repositories/accounts.js';
export { isUniqueViolation } from './rows.js';

export interface KyselyStoreOptions {
  /** Clock, unix ms (tests may pin it). */
  now?: () => number;
  /** Called by close() after the store stops (e.g. db.destroy()). */
  onClose?: () => Promise<void>;
  /** Which database: Postgres gets batched status reads (repositories/profiles.ts). */
  dialect?: 'sqlite' | 'postgres';
  /**
   * SQLite: a counter that changes when another connection commits (`PRAGMA data_version`); with it,
   * status polls are served from this process's memory until something changes (status-cache.ts).
   */
  externalVersion?: () => number;
}

export function createKyselyStore(db: Kysely<Database>, opts: KyselyStoreOptions = {}): Store {
  const now = opts.now ?? Date.now;
  return {
    accounts: createAccountRepository(db, now),
    keys: createKeyRepository(db, now),
    webhookSecrets: createWebhookSecretRepository(db, now),
    nodeSecrets: createNodeSecretRepository(db, now),
    profiles: createProfileRepository(db, now, {
      batchStatusReads: opts.dialect === 'postgres',
      statusCache: opts.externalVersion ? { externalVersion: opts.externalVersion } : undefined,
    }),
    jobs: createJobRepository(db, now),
    uploads: createUploadRepository(db),
    files: createFileRepository(db),
    deliveries: createDeliveryRepository(db, now),
    // Ledger entries get distinct times so a ledger reads in the order things happened.
    credits: createCreditRepository(db, strictlyIncreasing(now)),
    async close() {
      await opts.onClose?.();
    },
  };
}

/** Migrates `db` (destroying it if that fails) and returns the store; close() destroys it once. */
export async function openMigratedStore(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  now?: () => number,
  externalVersion?: () => number,
): Promise<Store & { readonly db: Kysely<Database> }> {
  try {
    await migrateToLatest(db, dialect);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  const store = createKyselyStore(db, {
    now,
    dialect,
    externalVersion,
    onClose: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  });
  return Object.assign(store, { db });
}
