import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { baseUrlOf } from './studio.js';

export function registerJobRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get<{ Params: { id: string } }>('/jobs/:id', async (req) => ctx.jobs.get(req.accountId, req.params.id, baseUrlOf(ctx, req)));
}
