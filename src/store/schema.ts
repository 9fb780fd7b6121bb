// Row shapes of the metadata database as Kysely sees them. Portable across SQLite and
// Postgres: JSON is stored as text, times as integer unix milliseconds (bigint), no
// engine-specific column types.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string | null;
  webhook_url: string | null;
  created_at: number;
  /** Prepaid credit balance in integer micro-dollars (migration 0002); never negative. */
  credit_micros: Generated<number>;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  /** hex SHA-256 of the key; the key itself is never stored */
  key_hash: string;
  prefix: string;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
  /** 1: an admin key, which may also list, create and revoke keys through the API (migration 0004). */
  admin: Generated<number>;
}

export interface WebhookSecretsTable {
  account_id: string;
  secret: string;
  created_at: number;
  retires_at: number | null;
}

export interface ProfilesTable {
  id: string;
  account_id: string;
  tag: string | null;
  tier: string;
  status: string;
  message: string | null;
  progress: number;
  image_urls: string; // JSON string[]
  images: string | null; // JSON PhotoReport[]
  model: string | null; // JSON
  /** Lease token of the training run allowed to write (migration 0005). */
  run_token: string | null;
  runs: Generated<number>;
  /** 'person' | 'cat' | 'dog' once training decided it (migration 0006). */
  subject: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobsTable {
  id: string;
  account_id: string;
  kind: string;
  status: string;
  request: string; // JSON
  result: string | null; // JSON
  error: string | null; // JSON {detail, code}
  callback_url: string | null;
  client_request_id: string | null;
  request_hash: string | null;
  /** Lease token of the run allowed to finish the job (migration 0005). */
  run_token: string | null;
  runs: Generated<number>;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface FilesTable {
  key: string;
  account_id: string;
  content_type: string;
  created_at: number;
  expires_at: number;
}

export interface DeliveriesTable {
  id: string;
  account_id: string;
  url: string;
  body: string;
  attempts: number;
  next_attempt_at: number;
  status: string;
  last_error: string | null;
  created_at: number;
}

/** Local uploads (migration 0004); the bytes are the blob `uploads/<id>`. */
export interface UploadsTable {
  id: string;
  account_id: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  created_at: number;
  expires_at: number;
}

/** Credit ledger (migration 0002); see CreditEntry in types.ts. */
export interface CreditLedgerTable {
  id: string;
  account_id: string;
  kind: string; // 'grant' | 'reserve' | 'settle' | 'refund'
  /** Signed change to accounts.credit_micros, micro-dollars. */
  amount: number;
  /** settle/refund: the reserve entry closed; unique, so a reservation closes once. */
  reservation_id: string | null;
  reference: string | null;
  note: string | null;
  created_at: number;
}

/** Installation-wide secrets every node shares (migration 0005). */
export interface NodeSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

/** The embedded queue's table (src/queue/embedded.ts); lives in the same database. */
export interface QueueTasksTable {
  id: string;
  queue: string;
  payload: string; // JSON
  status: 'waiting' | 'running' | 'done' | 'failed';
  attempt: number; // runs started so far
  failures: Generated<number>; // runs whose handler threw (migration 0005)
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface QueueDatabase {
  queue_tasks: QueueTasksTable;
}

export interface Database extends QueueDatabase {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  webhook_secrets: WebhookSecretsTable;
  profiles: ProfilesTable;
  jobs: JobsTable;
  files: FilesTable;
  deliveries: DeliveriesTable;
  credit_ledger: CreditLedgerTable;
  node_secrets: NodeSecretsTable;
  uploads: UploadsTable;
}
