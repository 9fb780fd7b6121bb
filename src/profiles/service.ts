// Profile lifecycle: create (shape checks only, decisions #19), list, status, picture, delete.
// Training itself runs in the queue (profiles/pipeline.ts).
import { ApiError, ValidationFailed, notFound } from '../errors.js';
import type { AddProfileRequestT } from '../contract/schemas.js';
import type { ProfileRecord, ProfileStatusRecord, Store } from '../store/types.js';
import type { BlobStore } from '../blobs/types.js';
import type { Queue } from '../queue/types.js';
import { newProfileId } from '../store/ids.js';
import { TIER_LIMITS, FETCH_QUEUE, profilePrefix, picturePath, type TrainingTask } from './pipeline.js';
import type { CreditService } from '../credits/service.js';

export interface ProfileStatusView {
  profile_id: string;
  status: ProfileRecord['status'];
  message: string | null;
  progress: number;
  images: ProfileRecord['images'];
  /** Extension (decisions.md, "Pets"): present once training has decided who the profile is of. */
  subject?: 'person' | 'cat' | 'dog';
}

function statusView(p: ProfileStatusRecord): ProfileStatusView {
  const view: ProfileStatusView = { profile_id: p.id, status: p.status, message: p.message, progress: p.progress, images: p.images };
  if (p.subject) view.subject = p.subject;
  return view;
}

export interface ProfileService {
  add(accountId: string, body: AddProfileRequestT): Promise<{ profile_id: string }>;
  list(accountId: string, q: { tag?: string; limit?: string; cursor?: string }): Promise<{ profiles: string[]; next_cursor?: string | null }>;
  status(accountId: string, id: string): Promise<ProfileStatusView>;
  /** The same status as JSON text, serialised once per stored state (the poll route sends it as is). */
  statusJson(accountId: string, id: string): Promise<string>;
  picture(accountId: string, id: string): Promise<Buffer>;
  delete(accountId: string, id: string): Promise<{ profile_id: string; status: string }>;
  /** Loads candidate profiles for a studio request; 404s as decisions #13. */
  requireReady(accountId: string, ids: string[]): Promise<ProfileRecord[]>;
}

export function createProfileService(deps: { store: Store; blobs: BlobStore; queue: Queue; credits: CreditService; maxQueueDepth: number }): ProfileService {
  const { store, blobs, queue } = deps;

  async function get(accountId: string, id: string): Promise<ProfileRecord> {
    const p = await store.profiles.get(accountId, id);
    if (!p) throw notFound('PROFILE_NOT_FOUND', `Profile '${id}' not found.`);
    return p;
  }

  async function statusRecord(accountId: string, id: string): Promise<ProfileStatusRecord> {
    const p = await store.profiles.status(accountId, id);
    if (!p) throw notFound('PROFILE_NOT_FOUND', `Profile '${id}' not found.`);
    return p;
  }
  // Keyed by the record object: an entry goes with the record when the store lets go of it.
  const serialised = new WeakMap<ProfileStatusRecord, string>();

  return {
    async add(accountId, body) {
      const tier = body.training_tier ?? 'standard';
      const [min, max] = TIER_LIMITS[tier];
      const n = body.image_urls.length;
      if (n < min || n > max) {
        throw new ValidationFailed([
          {
            loc: ['body', 'image_urls'],
            msg: `The ${tier} training tier needs ${min}–${max} images, got ${n}.${tier === 'standard' && n < min ? " Use training_tier 'fast' for 5–10 images." : ''}`,
            type: 'value_error',
          },
        ]);
      }
      for (const [i, u] of body.image_urls.entries()) {
        let ok = false;
        try {
          const url = new URL(u);
          ok = url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          ok = false;
        }
        if (!ok) {
          throw new ValidationFailed([{ loc: ['body', 'image_urls', i], msg: 'URL scheme should be http or https', type: 'url_scheme' }]);
        }
      }
      if ((await queue.depth(FETCH_QUEUE)) >= deps.maxQueueDepth) {
        throw new ApiError(503, 'OVERLOADED', 'Too many profiles are being trained right now; retry later.', { 'Retry-After': '30' });
      }
      const id = newProfileId();
      // Reserved now (402 before anything is stored), settled when READY, refunded on ERROR.
      const reservation = await deps.credits.reserveTraining(accountId, tier, id);
      await store.profiles.create({
        id,
        accountId,
        tag: body.tag ?? null,
        tier,
        status: 'VALIDATING',
        message: null,
        progress: 0,
        imageUrls: body.image_urls,
        images: null,
        model: null,
      });
      const task: TrainingTask = { profileId: id, reservation };
      await queue.enqueue(FETCH_QUEUE, task, { id: `fetch:${id}` });
      return { profile_id: id };
    },

    async list(accountId, q) {
      const limit = q.limit === undefined ? 1000 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new ValidationFailed([{ loc: ['query', 'limit'], msg: 'Input should be between 1 and 1000', type: 'value_error' }]);
      }
      const page = await store.profiles.list(accountId, { tag: q.tag, limit, cursor: q.cursor });
      return page.nextCursor ? { profiles: page.ids, next_cursor: page.nextCursor } : { profiles: page.ids };
    },

    async status(accountId, id) {
      return statusView(await statusRecord(accountId, id));
    },

    async statusJson(accountId, id) {
      // The hottest path of the API. The embedded store hands back the same record until the
      // profile changes, so its JSON is built once per change, not once per poll.
      const p = await statusRecord(accountId, id);
      let json = serialised.get(p);
      if (json === undefined) {
        json = JSON.stringify(statusView(p));
        serialised.set(p, json);
      }
      return json;
    },

    async picture(accountId, id) {
      const p = await get(accountId, id);
      if (p.status !== 'READY') throw notFound('PROFILE_NOT_READY', `Profile '${id}' is ${p.status}; its picture exists once it is READY.`);
      const data = await blobs.get(picturePath(id));
      if (!data) throw notFound('NOT_FOUND', `Profile '${id}' has no picture.`);
      return data;
    },

    async delete(accountId, id) {
      const ok = await store.profiles.delete(accountId, id);
      if (!ok) throw notFound('PROFILE_NOT_FOUND', `Profile '${id}' not found.`);
      await blobs.deletePrefix(profilePrefix(id));
      return { profile_id: id, status: 'deleted' };
    },

    async requireReady(accountId, ids) {
      const out: ProfileRecord[] = [];
      for (const id of ids) {
        const p = await get(accountId, id);
        if (p.status !== 'READY') {
          throw notFound('PROFILE_NOT_READY', `Profile '${id}' is ${p.status}, not READY${p.status === 'ERROR' && p.message ? `: ${p.message}` : ''}.`);
        }
        out.push(p);
      }
      return out;
    },
  };
}
