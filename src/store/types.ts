// Ports of the metadata store. Use cases depend on these interfaces only; the embedded
// adapter is SQLite (better-sqlite3 through Kysely), a distributed one is Postgres.
// Times are unix milliseconds (numbers) everywhere.

export type ProfileStatus = 'VALIDATING' | 'QUEUING' | 'IN_PROGRESS' | 'READY' | 'ERROR' | 'INACTIVE';
export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export type TrainingTier = 'standard' | 'fast';
/** Who a profile is of, decided by training (decisions.md, "Pets"). */
export type ProfileSubject = 'person' | 'cat' | 'dog';

export interface Account {
  id: string;
  name: string | null;
  createdAt: number;
  webhookUrl: string | null;
}

export interface ApiKeyRecord {
  id: string; // short public id, e.g. "key_ab12cd34"; shown by `keys ls`, used by `keys revoke`
  accountId: string;
  name: string | null;
  prefix: string; // first characters of the key, for humans to recognise it
  createdAt: number;
  revokedAt: number | null;
  /** May also list, create and revoke keys through the API (/v1/likeness/keys). */
  admin: boolean;
}

/** A local upload (decisions.md "Local uploads"): bytes in the blob store, kept until expiresAt. */
export interface UploadRecord {
  id: string;
  accountId: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  createdAt: number;
  expiresAt: number;
}

export interface WebhookSecret {
  secret: string;
  createdAt: number;
  /** null while current; set when rotated: the old secret keeps signing until this time */
  retiresAt: number | null;
}

/** Per-photo screening result (decisions.md #19). */
export interface PhotoReport {
  url: string;
  accepted: boolean;
  reasons: string[];
}

export interface ProfileRecord {
  id: string;
  accountId: string;
  tag: string | null;
  tier: TrainingTier;
  status: ProfileStatus;
  message: string | null;
  progress: number; // 0..1
  imageUrls: string[];
  images: PhotoReport[] | null; // filled once validated
  /** Trained identity model (engine-specific JSON); null until READY */
  model: unknown | null;
  /** Set once training has decided it (null before, and for profiles trained before pets). */
  subject?: ProfileSubject | null;
  /** Training runs started (queue retries and runs interrupted by a stopped process count). */
  runs: number;
  createdAt: number;
  updatedAt: number;
}

export interface ProfilePatch {
  status?: ProfileStatus;
  message?: string | null;
  progress?: number;
  images?: PhotoReport[] | null;
  model?: unknown | null;
  subject?: ProfileSubject | null;
}

export interface JobRecord {
  id: string;
  accountId: string;
  kind: string; // 'edit' | 'generate' | 'enhance' | 'remix'
  status: JobStatus;
  request: unknown; // the validated request body
  result: unknown | null; // studio response when SUCCEEDED
  error: { detail: string; code: string } | null;
  callbackUrl: string | null;
  clientRequestId: string | null;
  requestHash: string | null;
  /** Runs started: retries and runs interrupted by a stopped worker count; operators see it in `likeness jobs ls`. */
  runs: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** What a status poll shows: the profile row without its model or photo list. */
export interface ProfileStatusRecord {
  id: string;
  status: ProfileStatus;
  message: string | null;
  progress: number;
  images: PhotoReport[] | null;
  subject: ProfileSubject | null;
}

/** Fencing of final writes: the write happens only if `runToken` still holds the record's lease. */
export interface Fence {
  runToken?: string;
  /** Only while the record is unfinished (for giving up on a task whose run never claimed it). */
  unfinished?: boolean;
}

export interface FileRecord {
  key: string; // blob key, e.g. "20261121/abc.jpg"
  accountId: string;
  contentType: string;
  createdAt: number;
  expiresAt: number;
}

/** A callback/webhook delivery waiting to be (re)sent. */
export interface DeliveryRecord {
  id: string;
  accountId: string;
  url: string;
  body: string; // the exact JSON that is signed and sent
  attempts: number;
  nextAttemptAt: number;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  lastError: string | null;
  createdAt: number;
}

/** Kinds of credit ledger entries; `amountMicros` is always the change to the balance. */
export type CreditEntryKind = 'grant' | 'reserve' | 'settle' | 'refund';

/** One line of an account's credit ledger (money in integer micro-dollars). */
export interface CreditEntry {
  id: string;
  accountId: string;
  kind: CreditEntryKind;
  /** Signed change to the balance: grant +, reserve −, settle + (the unspent part), refund +. */
  amountMicros: number;
  /** For settle/refund: the reservation (reserve entry id) they close. */
  reservationId: string | null;
  /** What the money is for: job id, request id or profile id (copied onto the closing entry). */
  reference: string | null;
  note: string | null;
  createdAt: number;
}

/** A reserve entry and what became of it. */
export interface CreditReservation {
  id: string;
  accountId: string;
  /** Reserved (held) amount, positive. */
  amountMicros: number;
  reference: string | null;
  state: 'open' | 'settled' | 'refunded';
  /** What was finally charged; null while open. */
  chargedMicros: number | null;
  createdAt: number;
  closedAt: number | null;
}

/** Outcome of closing a reservation. `replayed` = it had already been closed (nothing changed now). */
export interface CreditSettlement {
  reservationId: string;
  accountId: string;
  state: 'settled' | 'refunded';
  chargedMicros: number;
  refundedMicros: number;
  replayed: boolean;
}

/**
 * Prepaid credit (decisions.md #29). Balances live in accounts.credit_micros and change only
 * in the same transaction as the ledger entry that explains them, so the ledger always sums
 * to the balance. Amounts are non-negative safe integers of micro-dollars (RangeError otherwise).
 */
export interface CreditRepository {
  /** Current balance in micro-dollars; 0 for an unknown account. */
  balance(accountId: string): Promise<number>;
  /**
   * Atomically checks the balance covers `amountMicros` and holds it. Returns the reservation id.
   * Throws InsufficientCredit (ApiError 402 INSUFFICIENT_CREDIT) when short, leaving the balance
   * unchanged; throws Error for an unknown account.
   */
  reserve(accountId: string, amountMicros: number, reference: string): Promise<string>;
  /**
   * Charges `actualMicros` of the reservation and returns the rest to the balance. Never charges
   * more than was reserved (a larger amount is capped). Idempotent: once a reservation is closed
   * (settled or refunded) later settle/refund calls change nothing and return the first outcome
   * with `replayed: true`. Throws Error for an unknown reservation id.
   */
  settle(reservationId: string, actualMicros: number): Promise<CreditSettlement>;
  /** Returns the whole reservation to the balance; idempotent like settle. */
  refund(reservationId: string): Promise<CreditSettlement>;
  /** Adds credit (a top-up); returns the new balance. Throws Error for an unknown account. */
  grant(accountId: string, amountMicros: number, note: string | null): Promise<number>;
  /** The newest `limit` (1..1000) entries, newest first. */
  ledger(accountId: string, limit: number): Promise<CreditEntry[]>;
  reservation(reservationId: string): Promise<CreditReservation | undefined>;
  /**
   * Reservations still open that were made before `before` (e.g. held by a process that
   * crashed), oldest first; only `accountId`'s when given.
   */
  openReservations(before: number, limit: number, accountId?: string): Promise<CreditReservation[]>;
}

export interface Store {
  accounts: {
    create(name: string | null): Promise<Account>;
    get(id: string): Promise<Account | undefined>;
    setWebhookUrl(id: string, url: string | null): Promise<void>;
  };
  keys: {
    /** Stores only a hash of `key`. */
    create(accountId: string, key: string, name: string | null, opts?: { admin?: boolean }): Promise<ApiKeyRecord>;
    /** Looks a key up by its hash; revoked keys are not returned. */
    findAccountByKey(key: string): Promise<{ accountId: string; keyId: string; admin: boolean } | undefined>;
    list(): Promise<ApiKeyRecord[]>;
    /** Revokes by key id or by the full key; returns false if nothing matched. */
    revoke(idOrKey: string): Promise<boolean>;
    count(): Promise<number>;
  };
  webhookSecrets: {
    /** Current secret, created on first use. */
    current(accountId: string): Promise<WebhookSecret>;
    /** Every secret that may still sign (current first). */
    active(accountId: string, now: number): Promise<WebhookSecret[]>;
    rotate(accountId: string, now: number, graceMs: number): Promise<WebhookSecret>;
  };
  profiles: {
    create(p: Omit<ProfileRecord, 'createdAt' | 'updatedAt' | 'runs'>): Promise<ProfileRecord>;
    get(accountId: string, id: string): Promise<ProfileRecord | undefined>;
    /** The poll path: a compiled query over only the columns the status shows. */
    status(accountId: string, id: string): Promise<ProfileStatusRecord | undefined>;
    /** For workers, which act on behalf of any account. */
    getById(id: string): Promise<ProfileRecord | undefined>;
    /** Newest first; cursor is opaque. */
    list(accountId: string, opts: { tag?: string; limit: number; cursor?: string }): Promise<{ ids: string[]; nextCursor: string | null }>;
    /**
     * Returns whether a row changed. With `runToken`, only while the profile is still training
     * and that token holds its lease (a worker that lost its lease cannot write).
     */
    update(id: string, patch: ProfilePatch, fence?: Fence): Promise<boolean>;
    /** Starts a training run: takes the lease (token) and counts the run, if the status is one of `statuses`. */
    claimRun(id: string, token: string, statuses: ProfileStatus[]): Promise<ProfileRecord | undefined>;
    delete(accountId: string, id: string): Promise<boolean>;
    /** Profiles in these states (crash recovery, the stranded-work sweep), oldest first. */
    listByStatus(statuses: ProfileStatus[], opts?: { updatedBefore?: number }): Promise<ProfileRecord[]>;
  };
  jobs: {
    create(j: Omit<JobRecord, 'createdAt' | 'updatedAt' | 'runs'>): Promise<JobRecord>;
    get(accountId: string, id: string): Promise<JobRecord | undefined>;
    getById(id: string): Promise<JobRecord | undefined>;
    findByClientRequestId(accountId: string, clientRequestId: string, since: number): Promise<JobRecord | undefined>;
    /** Returns whether a row changed; with `runToken`, only while QUEUED/RUNNING under that lease. */
    update(id: string, patch: Partial<Pick<JobRecord, 'status' | 'result' | 'error'>>, fence?: Fence): Promise<boolean>;
    /** Starts a run: RUNNING, lease token taken, run counted; undefined if the job is finished or gone. */
    claimRun(id: string, token: string): Promise<JobRecord | undefined>;
    /** QUEUED/RUNNING jobs not touched since `updatedBefore` (the stranded-work sweep). */
    listUnfinished(updatedBefore: number, limit: number): Promise<JobRecord[]>;
    /** Deletes jobs whose expiresAt has passed; returns how many. */
    deleteExpired(now: number): Promise<number>;
    /** The account's newest `limit` jobs, newest first (the console's job list). */
    listRecent(accountId: string, limit: number): Promise<JobRecord[]>;
  };
  uploads: {
    create(u: UploadRecord): Promise<void>;
    /** Only the owner's upload; another account's is undefined. */
    get(accountId: string, id: string): Promise<UploadRecord | undefined>;
    /** Deletes uploads whose expiresAt has passed; returns their ids (to remove the blobs). */
    deleteExpired(now: number): Promise<string[]>;
  };
  files: {
    create(f: FileRecord): Promise<void>;
    get(key: string): Promise<FileRecord | undefined>;
    deleteExpired(now: number): Promise<string[]>;
  };
  deliveries: {
    /** Creating an id that exists already is a no-op that returns the existing delivery. */
    create(d: Omit<DeliveryRecord, 'createdAt'>): Promise<DeliveryRecord>;
    /** PENDING deliveries due at `now`, oldest first. */
    due(now: number, limit: number): Promise<DeliveryRecord[]>;
    /**
     * Claims the next attempt atomically: attempts `attempts` → `attempts + 1` and the next
     * attempt time, only if still PENDING, due at `now` and unchanged. true = this caller sends it.
     */
    claimAttempt(id: string, attempts: number, nextAttemptAt: number, now: number): Promise<boolean>;
    update(id: string, patch: Partial<Pick<DeliveryRecord, 'attempts' | 'nextAttemptAt' | 'status' | 'lastError'>>): Promise<void>;
    get(id: string): Promise<DeliveryRecord | undefined>;
  };
  /** Installation-wide secrets shared by every node (URL signing). */
  nodeSecrets: {
    /** The named secret; the first caller anywhere creates it with `generate()`. */
    getOrCreate(name: string, generate: () => string): Promise<string>;
  };
  credits: CreditRepository;
  close(): Promise<void>;
}
