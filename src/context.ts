// Wires the ports (store, blobs, queue) and engines into the use cases. One place decides
// which adapters run; everything else receives an AppContext.
import type { Config } from './config.js';
import type { Store } from './store/types.js';
import type { BlobStore } from './blobs/types.js';
import type { Queue } from './queue/types.js';
import type { IdentityEngine } from './identity/types.js';
import type { ProfileService } from './profiles/service.js';
import type { StudioService } from './studio/service.js';
import type { JobService } from './jobs/service.js';
import type { EventService } from './jobs/events.js';
import type { createProviderRegistry } from './providers/registry.js';
export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
import type { WorkerPool } from './identity/pool.js';
import type { UploadService } from './uploads/service.js';

export interface AppContext {
  config: Config;
  store: Store;
  blobs: BlobStore;
  queue: Queue;
  /** HMAC key of signed file URLs. */
  urlSecret: string;
  /** Face models and enhancement, in worker threads; started on first use. */
  identity(): Promise<IdentityEngine>;
  pool(): Promise<WorkerPool>;
  providers: ProviderRegistry;
  profiles: ProfileService;
  studio: StudioService;
  jobs: JobService;
  events: EventService;
  /** Local uploads (POST /v1/phota/uploads) and their resolution as image inputs. */
  uploads: UploadService;
  version: string;
}
