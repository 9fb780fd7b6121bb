// Wrappers that record metrics at a single seam each, so the modules they observe stay
// untouched: the queue (wait time, outcomes, depth), the provider registry (latency and
// errors per base model) and the studio use case (outputs per base model, identity similarity).
import { ApiError } from '../errors.js';
import type { Queue } from '../queue/types.js';
import type { Provider } from '../providers/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { StudioService } from '../studio/service.js';
import {
  addQueueDepthSource,
  identitySimilarity,
  providerDuration,
  providerErrors,
  queueTasks,
  queueWait,
  studioOutputs,
  studioRequests,
} from './registry.js';

const codeOf = (e: unknown): string => (e instanceof ApiError ? e.code : (e as { name?: string })?.name === 'AbortError' ? 'ABORTED' : 'INTERNAL_ERROR');

/** The queue with every handler timed; queues that get a handler report their depth at scrape time. */
export function instrumentQueue<Q extends Queue>(queue: Q): Q & { stopMetrics(): void } {
  const names = new Set<string>();
  const remove = addQueueDepthSource(async () => {
    const out: Record<string, number> = {};
    for (const n of names) out[n] = await queue.depth(n);
    return out;
  });
  const wrapped = Object.create(queue) as Q & { stopMetrics(): void };
  wrapped.process = (name, opts, handler) => {
    names.add(name);
    return queue.process(name, opts, async (task, signal) => {
      if (typeof task.readyAt === 'number') queueWait.observe({ queue: name }, Math.max(0, (Date.now() - task.readyAt) / 1000));
      try {
        await handler(task, signal);
        queueTasks.inc({ queue: name, outcome: 'ok' });
      } catch (e) {
        queueTasks.inc({ queue: name, outcome: 'error' });
        throw e;
      }
    });
  };
  wrapped.stopMetrics = remove;
  return wrapped;
}

function instrumentProvider(id: string, p: Provider): Provider {
  const w = Object.create(p) as Provider & { generate: Provider['generate'] };
  w.generate = async (req) => {
    const t = performance.now();
    try {
      const res = await p.generate(req);
      providerDuration.observe({ base_model: id, outcome: 'ok' }, (performance.now() - t) / 1000);
      return res;
    } catch (e) {
      providerDuration.observe({ base_model: id, outcome: 'error' }, (performance.now() - t) / 1000);
      providerErrors.inc({ base_model: id, code: codeOf(e) });
      throw e;
    }
  };
  return w;
}

/** The registry with each provider's calls timed (wrappers made once per provider). */
export function instrumentProviders(reg: ProviderRegistry): ProviderRegistry {
  const cache = new Map<string, Provider>();
  return {
    ...reg,
    get(id) {
      const p = reg.get(id);
      if (!p) return p;
      let w = cache.get(id);
      if (!w) cache.set(id, (w = instrumentProvider(id, p)));
      return w;
    },
    list: () => reg.list(),
  };
}

/** The studio use case with outputs per base model and the identity similarity of every returned face. */
export function instrumentStudio(studio: StudioService): StudioService {
  return {
    ...studio,
    prepare: (accountId, kind, body) => studio.prepare(accountId, kind, body),
    async execute(accountId, prep, signal) {
      const base_model = prep.baseModel ?? 'local';
      try {
        const out = await studio.execute(accountId, prep, signal);
        studioRequests.inc({ base_model, operation: prep.kind, outcome: 'ok' });
        studioOutputs.inc({ base_model, operation: prep.kind }, out.outputs.length);
        for (const m of out.knownSubjects.matches) identitySimilarity.observe({ operation: prep.kind }, m.similarity);
        return out;
      } catch (e) {
        studioRequests.inc({ base_model, operation: prep.kind, outcome: codeOf(e) });
        throw e;
      }
    },
  };
}
