// Outgoing notifications: job callbacks (callback_url) and account webhook events
// (profile.ready / profile.error, an extension). Both go through the durable, signed delivery
// service, so a receiver that is down gets them later.
import type { Store } from '../store/types.js';

export interface Deliverer {
  enqueue(accountId: string, url: string, payload: unknown): Promise<string>;
}

export interface EventService {
  profileEvent(accountId: string, e: { type: 'profile.ready' | 'profile.error'; profile_id: string; status: string; message: string | null }): Promise<void>;
  jobCallback(accountId: string, url: string, job: unknown): Promise<void>;
}

export function createEventService(store: Store, deliverer: Deliverer): EventService {
  return {
    async profileEvent(accountId, e) {
      const account = await store.accounts.get(accountId);
      if (!account?.webhookUrl) return;
      await deliverer.enqueue(accountId, account.webhookUrl, { ...e, created_at: new Date().toISOString() });
    },
    async jobCallback(accountId, url, job) {
      await deliverer.enqueue(accountId, url, job);
    },
  };
}
