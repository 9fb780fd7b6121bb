// Schema migrations, in code, applied by Kysely's Migrator. Names sort in order of
// application; never edit a migration that has shipped, add a new one. Only portable DDL
// (SQLite and Postgres): text, bigint unix-ms times, double precision, partial indexes.
import { Kysely, Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';

export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text')
        .addColumn('webhook_url', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_account').on('api_keys').column('account_id').execute();

      await db.schema
        .createTable('webhook_secrets')
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retires_at', 'bigint')
        .addPrimaryKeyConstraint('webhook_secrets_pk', ['account_id', 'secret'])
        .execute();
      // At most one current (not rotated) secret per account, even under races.
      await db.schema
        .createIndex('webhook_secrets_one_current')
        .on('webhook_secrets')
        .column('account_id')
        .unique()
        .where(sql.ref('retires_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('profiles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('tag', 'text')
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('progress', 'double precision', (c) => c.notNull().defaultTo(0))
        .addColumn('image_urls', 'text', (c) => c.notNull())
        .addColumn('images', 'text')
        .addColumn('model', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('profiles_account_created').on('profiles').columns(['account_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('profiles_account_tag').on('profiles').columns(['account_id', 'tag', 'created_at']).execute();
      await db.schema.createIndex('profiles_status').on('profiles').column('status').execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('callback_url', 'text')
        .addColumn('client_request_id', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      // A client_request_id is unique per account while it is remembered; the store
      // forgets older uses when a new job claims the id (see jobs.create).
      await db.schema
        .createIndex('jobs_account_client_request')
        .on('jobs')
        .columns(['account_id', 'client_request_id'])
        .unique()
        .execute();
      await db.schema.createIndex('jobs_expires').on('jobs').column('expires_at').execute();

      await db.schema
        .createTable('files')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('files_expires').on('files').column('expires_at').execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();

      await db.schema
        .createTable('queue_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('queue', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('queue_tasks_claim').on('queue_tasks').columns(['queue', 'status', 'run_at']).execute();
      await db.schema.createIndex('queue_tasks_lease').on('queue_tasks').columns(['status', 'lease_until']).execute();
      await db.schema.createIndex('queue_tasks_finished').on('queue_tasks').columns(['finished_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['queue_tasks', 'deliveries', 'files', 'jobs', 'profiles', 'webhook_secrets', 'api_keys', 'accounts']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },

  // Optional prepaid credits (decisions.md #29): a balance per account and the ledger that
  // explains it. Money is integer micro-dollars.
  '0002_credits': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('accounts')
        .addColumn('credit_micros', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credit_micros >= 0`))
        .execute();
      await db.schema
        .createTable('credit_ledger')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('reservation_id', 'text')
        .addColumn('reference', 'text')
        .addColumn('note', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // One closing entry (settle or refund) per reservation: what makes settle/refund
      // idempotent even when two processes race. NULLs (grant, reserve) do not collide.
      await db.schema.createIndex('credit_ledger_closes').on('credit_ledger').column('reservation_id').unique().execute();
      await db.schema.createIndex('credit_ledger_account').on('credit_ledger').columns(['account_id', 'created_at']).execute();
      await db.schema.createIndex('credit_ledger_kind_created').on('credit_ledger').columns(['kind', 'created_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('credit_ledger').ifExists().execute();
      await db.schema.alterTable('accounts').dropColumn('credit_micros').execute();
    },
  },

  // Admin keys (may manage keys through /v1/likeness/keys) and local uploads (issue #11):
  // image bytes live in the blob store under uploads/<id>; this table says whose they are
  // and until when, so the sweep can remove them.
  '0004_keys_admin_uploads': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('api_keys').addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable('uploads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('uploads_expires').on('uploads').column('expires_at').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('uploads').ifExists().execute();
      await db.schema.alterTable('api_keys').dropColumn('admin').execute();
    },
  },

  // Scale-out (issue #10): secrets every node shares; a lease token and a run count on jobs
  // and profiles, so only the run holding the lease may write the outcome and operators see
  // how often a task was started.
  '0005_scale_out': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('node_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      for (const t of ['jobs', 'profiles']) {
        await db.schema.alterTable(t).addColumn('run_token', 'text').execute();
        await db.schema.alterTable(t).addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      }
      await db.schema.createIndex('jobs_status_updated').on('jobs').columns(['status', 'updated_at']).execute();
      // Runs that threw, so runs that were interrupted (attempt - 1 - failures) can be told apart.
      await db.schema.alterTable('queue_tasks').addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('queue_tasks').dropColumn('failures').execute();
      await db.schema.dropIndex('jobs_status_updated').ifExists().execute();
      for (const t of ['jobs', 'profiles']) {
        await db.schema.alterTable(t).dropColumn('runs').execute();
        await db.schema.alterTable(t).dropColumn('run_token').execute();
      }
      await db.schema.dropTable('node_secrets').ifExists().execute();
    },
  },
  // Pets (issue #9): the subject a profile learned (person, cat or dog), decided by training;
  // a column so the status poll shows it without reading the model.
  '0006_profile_subject': {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('profiles').addColumn('subject', 'text').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('profiles').dropColumn('subject').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Key of the Postgres advisory lock that serialises migrations across nodes. */
export const MIGRATION_LOCK_KEY = 0x6c696b65; // 'like'

/**
 * Applies every pending migration; throws if one fails (the database is left at the last good one).
 * On Postgres the whole run holds an advisory lock on one connection, so nodes starting at the
 * same moment on an empty database migrate one after the other (the later ones find nothing
 * to do) instead of racing on CREATE TABLE.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<MigrationResultSet> {
  if (dialect === 'postgres') {
    return db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
      try {
        return await runMigrator(conn);
      } finally {
        await sql`select pg_advisory_unlock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
      }
    });
  }
  return runMigrator(db);
}

async function runMigrator(db: Kysely<any>): Promise<MigrationResultSet> {
  // Unordered: migrations numbered by parallel branches may land after a later one ran.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const res = await migrator.migrateToLatest();
  if (res.error) {
    const failed = res.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${String((res.error as Error)?.message ?? res.error)}`);
  }
  return res;
}
