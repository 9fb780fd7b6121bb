// Listings the console needs and the Phota paths do not have (extension, /v1/likeness/...):
// the account's profiles with their status, tag and tier in one call, and its recent async jobs.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ValidationFailed } from '../../errors.js';
import { baseUrlOf } from './studio.js';

function limitOf(raw: unknown, def: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationFailed([{ loc: ['query', 'limit'], msg: `Input should be between 1 and ${max}`, type: 'value_error' }]);
  }
  return n;
}

export function registerListingRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get<{ Querystring: { tag?: string; limit?: string; cursor?: string } }>('/profiles', async (req) => {
    const q = req.query;
    const limit = limitOf(q.limit, 100, 200);
    const page = await ctx.store.profiles.list(req.accountId, { tag: q.tag || undefined, limit, cursor: q.cursor || undefined });
    const profiles = [];
    for (const id of page.ids) {
      const rec = await ctx.store.profiles.get(req.accountId, id);
      if (!rec) continue; // deleted meanwhile
      profiles.push({
        ...(await ctx.profiles.status(req.accountId, id)),
        tag: rec.tag,
        training_tier: rec.tier,
        image_count: rec.imageUrls.length,
        created_at: new Date(rec.createdAt).toISOString(),
        updated_at: new Date(rec.updatedAt).toISOString(),
      });
    }
    return { profiles, next_cursor: page.nextCursor };
  });

  api.get<{ Querystring: { limit?: string } }>('/jobs', async (req) => {
    const limit = limitOf(req.query.limit, 50, 200);
    const jobs = await ctx.store.jobs.listRecent(req.accountId, limit);
    const base = baseUrlOf(ctx, req);
    const out = [];
    for (const j of jobs) out.push({ ...(await ctx.jobs.get(req.accountId, j.id, base)), kind: j.kind });
    return { jobs: out };
  });
}
