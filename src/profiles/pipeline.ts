// Profile training pipeline, run from the durable queue in two steps so that every status
// means what it says: VALIDATING (fetch and decode each photo) → QUEUING (waiting for the
// identity engine) → IN_PROGRESS (screen, embed, cluster, build the model) → READY | ERROR.
// Each step is idempotent: after a crash the queue runs it again from its start.
import type { Store, ProfileRecord } from '../store/types.js';
import type { BlobStore } from '../blobs/types.js';
import { TaskInterrupted, type Queue, type QueueTask } from '../queue/types.js';
import type { Fence } from '../store/types.js';
import type { IdentityEngine, ProfileModel } from '../identity/types.js';
import { loadImageInput } from '../imaging/input.js';
import { trainProfile } from '../identity/train.js';
import { ApiError } from '../errors.js';
import type { EventService } from '../jobs/events.js';
import type { CreditService, Reservation } from '../credits/service.js';
import type { UploadService } from '../uploads/service.js';
import { recordTraining } from '../metrics/registry.js';

export interface TrainingTask {
  profileId: string;
  /** Credit held for this training (null when credits are off). */
  reservation: Reservation | null;
}

export const FETCH_QUEUE = 'profile.fetch';
export const TRAIN_QUEUE = 'profile.train';
export const TIER_LIMITS = { standard: [10, 50], fast: [5, 10] } as const;

export const profilePrefix = (id: string) => `profiles/${id}/`;
export const photoPath = (id: string, i: number) => `profiles/${id}/photos/${i}.img`;
export const picturePath = (id: string) => `profiles/${id}/picture.jpg`;

/** Fetch errors recorded during VALIDATING, kept until training reads them. */
const fetchErrorsPath = (id: string) => `profiles/${id}/fetch-errors.json`;

export interface PipelineDeps {
  store: Store;
  blobs: BlobStore;
  queue: Queue;
  identity: () => Promise<IdentityEngine>;
  events: EventService;
  credits: CreditService;
  allowPrivateUrls: boolean;
  /** Resolves the account's local upload URLs from the blob store (no HTTP fetch). */
  uploads?: Pick<UploadService, 'resolver'>;
  log: (msg: string, extra?: object) => void;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

export function registerTrainingPipeline(deps: PipelineDeps, opts: { concurrency: number }): void {
  const { store, blobs, queue } = deps;

  /**
   * The final write of a training run, fenced on its lease: a run that lost it (its worker was
   * paused while another finished) writes nothing, charges nothing and announces nothing. The
   * charge comes after the write, from the state it stored (afterFinal): a late run that
   * finished READY before the winning run ended in ERROR must not charge for it. A crash after
   * the write repeats afterFinal when the task runs again (settle and refund are idempotent).
   */
  async function finish(p: ProfileRecord, patch: Parameters<Store['profiles']['update']>[1], task: TrainingTask, fence: Fence): Promise<boolean> {
    if (!(await store.profiles.update(p.id, patch, fence))) {
      deps.log('late training run: its lease had passed to another run, outcome discarded', { profileId: p.id });
      return false;
    }
    recordTraining(p.createdAt, patch.status, patch.images);
    await afterFinal(p.id, task);
    return true;
  }

  /** What follows a profile's final state (charge or refund, event); repeated harmlessly by a run that finds it finished. */
  async function afterFinal(id: string, task: TrainingTask) {
    const p = await store.profiles.getById(id);
    if (!p || (p.status !== 'READY' && p.status !== 'ERROR')) return;
    if (p.status === 'ERROR') await deps.credits.refund(task.reservation);
    else await deps.credits.settle(task.reservation, task.reservation?.amountMicros ?? 0);
    await deps.events.profileEvent(p.accountId, {
      type: p.status === 'READY' ? 'profile.ready' : 'profile.error',
      profile_id: p.id,
      status: p.status,
      message: p.message ?? null,
    });
  }

  /** A profile deleted while this step ran: photos it stored after the delete must go too. */
  async function discardDeleted(id: string, task: TrainingTask) {
    await blobs.deletePrefix(profilePrefix(id));
    await deps.credits.refund(task.reservation);
  }

  /** Takes the profile's lease for this run if it is in one of `statuses`; otherwise handles why not. */
  async function claim(task: QueueTask<TrainingTask>, statuses: ProfileRecord['status'][]): Promise<ProfileRecord | undefined> {
    const p = await store.profiles.claimRun(task.payload.profileId, task.token, statuses);
    if (p) return p;
    const now = await store.profiles.getById(task.payload.profileId);
    if (!now) await deps.credits.refund(task.payload.reservation); // deleted before training
    else await afterFinal(now.id, task.payload); // finished already (maybe by a run that crashed before its event)
    return undefined;
  }

  async function fetchStep(task: QueueTask<TrainingTask>) {
    const p = await claim(task, ['VALIDATING']);
    if (!p) {
      // Fetched already: make sure training is queued (a crash may have come in between).
      const later = await store.profiles.getById(task.payload.profileId);
      if (later?.status === 'QUEUING') await queue.enqueue(TRAIN_QUEUE, task.payload, { id: `train:${later.id}` });
      return;
    }
    const fence = { runToken: task.token };
    const errors: Record<number, string> = {};
    let done = 0;
    await mapLimit(p.imageUrls, 4, async (url, i) => {
      try {
        const opts = { allowPrivateUrls: deps.allowPrivateUrls, resolveUpload: deps.uploads?.resolver(p.accountId) };
        const img = await loadImageInput(url, opts, `image_urls[${i}]`);
        await blobs.put(photoPath(p.id, i), img.data);
      } catch (e) {
        errors[i] = e instanceof ApiError ? e.detail : 'could not be fetched';
      }
      done++;
      await store.profiles.update(p.id, { progress: Math.round((done / p.imageUrls.length) * 30) / 100 }, fence);
    });
    if (!(await store.profiles.getById(p.id))) return void (await discardDeleted(p.id, task.payload)); // deleted meanwhile
    await blobs.put(fetchErrorsPath(p.id), Buffer.from(JSON.stringify(errors)));
    if (!(await store.profiles.update(p.id, { status: 'QUEUING', progress: 0.3 }, fence))) return; // lease lost
    await queue.enqueue(TRAIN_QUEUE, task.payload, { id: `train:${p.id}` });
  }

  async function trainStep(task: QueueTask<TrainingTask>) {
    const p = await claim(task, ['QUEUING', 'IN_PROGRESS']);
    if (!p) return;
    const fence = { runToken: task.token };
    if (!(await store.profiles.update(p.id, { status: 'IN_PROGRESS', progress: 0.3 }, fence))) return;
    const errRaw = await blobs.get(fetchErrorsPath(p.id));
    const errors: Record<string, string> = errRaw ? JSON.parse(errRaw.toString('utf8')) : {};
    const photos: Array<{ url: string; image?: Buffer; error?: string }> = [];
    for (const [i, url] of p.imageUrls.entries()) {
      const image = errors[i] ? undefined : await blobs.get(photoPath(p.id, i));
      photos.push(image ? { url, image } : { url, error: errors[i] ?? 'could not be fetched' });
    }
    const engine = await deps.identity();
    let lastWrite = 0;
    const outcome = await trainProfile(engine, photos, p.tier, (f) => {
      const now = Date.now();
      if (now - lastWrite < 250) return; // status polling needs progress, not a write per face
      lastWrite = now;
      void store.profiles.update(p.id, { progress: Math.round((0.3 + 0.65 * f) * 100) / 100 }, fence).catch(() => {});
    });
    if (!(await store.profiles.getById(p.id))) return void (await discardDeleted(p.id, task.payload)); // deleted while training
    if (!outcome.ok) {
      await finish(p, { status: 'ERROR', message: outcome.message, images: outcome.reports, progress: 1, subject: outcome.subject ?? null }, task.payload, fence);
      return;
    }
    const model: ProfileModel = outcome.model;
    await blobs.put(picturePath(p.id), outcome.picture);
    const subject = model.subject ?? 'person';
    if (!(await finish(p, { status: 'READY', message: null, images: outcome.reports, model, subject, progress: 1 }, task.payload, fence))) return;
    // Keep only the reference photos; the others served their purpose (only the run that won).
    const keep = new Set(model.referencePhotos);
    for (let i = 0; i < p.imageUrls.length; i++) if (!keep.has(i)) await blobs.delete(photoPath(p.id, i));
    await blobs.delete(fetchErrorsPath(p.id));
  }

  const onExhausted = async (task: QueueTask<TrainingTask>, error: unknown) => {
    const p = await store.profiles.getById(task.payload.profileId);
    deps.log('training failed', { profileId: task.payload.profileId, error: String(error), runs: p?.runs, interruptions: task.interruptions });
    if (p && p.status !== 'READY' && p.status !== 'ERROR') {
      const message =
        error instanceof TaskInterrupted
          ? `Training was interrupted ${error.interruptions} times (the server or worker running it stopped each time) and was given up; create the profile again.`
          : 'Training failed because of an internal error; create the profile again.';
      await finish(p, { status: 'ERROR', message, progress: 1 }, task.payload, { unfinished: true });
    } else {
      await deps.credits.refund(task.payload.reservation);
    }
  };

  queue.process<TrainingTask>(FETCH_QUEUE, { concurrency: 2, onExhausted }, (t) => fetchStep(t));
  queue.process<TrainingTask>(TRAIN_QUEUE, { concurrency: opts.concurrency, onExhausted }, (t) => trainStep(t));
}

/**
 * Profiles still training but untouched since `before` are queued again under their step's
 * task id (a no-op when the queue has the task). Their credit hold is found by its reference
 * (the profile id), since the task payload that carried it may be what was lost.
 */
export async function sweepStrandedProfiles(deps: { store: Store; queue: Queue }, before: number): Promise<number> {
  const stale = await deps.store.profiles.listByStatus(['VALIDATING', 'QUEUING', 'IN_PROGRESS'], { updatedBefore: before });
  for (const p of stale) {
    const open = await deps.store.credits.openReservations(Date.now() + 1, 1000, p.accountId);
    const held = open.find((r) => r.reference === p.id);
    const reservation = held ? { id: held.id, accountId: held.accountId, kind: 'training' as const, amountMicros: held.amountMicros, reference: p.id } : null;
    const task: TrainingTask = { profileId: p.id, reservation };
    if (p.status === 'VALIDATING') await deps.queue.enqueue(FETCH_QUEUE, task, { id: `fetch:${p.id}` });
    else await deps.queue.enqueue(TRAIN_QUEUE, task, { id: `train:${p.id}` });
  }
  return stale.length;
}

/** Reference photos of a READY profile, best first (for providers). */
export async function referencePhotos(blobs: BlobStore, p: ProfileRecord): Promise<Buffer[]> {
  const model = p.model as ProfileModel | null;
  if (!model) return [];
  const out: Buffer[] = [];
  for (const i of model.referencePhotos) {
    const b = await blobs.get(photoPath(p.id, i));
    if (b) out.push(b);
  }
  return out;
}
