// Outgoing notifications: job callbacks (callback_url) and account webhook events
// (profile.ready / profile.error, an extension). Both go through the durable, signed delivery
// service, so a receiver that is down gets them later.
import type { Store } from '../store/types.js';

export interface Deliverer {
  enqueue(accountId: string, url: string, payload: unknown, id?: string): Promise<string>;
}

export interface EventService {
  profileEvent(accountId: string, e: { type: 'profile.ready' | 'profile.error'; profile_id: string; status: string; message: string | null }): Promise<void>;
  /** `deliveryId` makes the callback idempotent: a second call with it sends nothing more. */
  jobCallback(accountId: string, url: string, job: unknown, deliveryId?: string): Promise<void>;
}

export function createEventService(store: Store, deliverer: Deliverer): EventService {
  return {
    async profileEvent(accountId, e) {
      const account = await store.accounts.get(accountId);
      if (!account?.webhookUrl) return;
      // One event per profile outcome, however often the step that announces it runs.
      const id = `dlv_${e.type === 'profile.ready' ? 'ready' : 'error'}_${e.profile_id}`;
      await deliverer.enqueue(accountId, account.webhookUrl, { ...e, created_at: new Date().toISOString() }, id);
    },
    async jobCallback(accountId, url, job, deliveryId) {
      await deliverer.enqueue(accountId, url, job, deliveryId);
    },
  };
}
