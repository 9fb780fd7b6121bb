import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { AddProfileRequest, ProfileIdsQuery, type AddProfileRequestT } from '../../contract/schemas.js';

export function registerProfileRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.post('/profiles/add', { schema: { body: AddProfileRequest } }, async (req) => {
    const body = req.body as AddProfileRequestT;
    // Local upload URLs must be this account's and still kept (404 otherwise) before training is queued.
    await ctx.uploads.assertUsable(req.accountId, body.image_urls.map((u, i) => [u, `image_urls[${i}]`]));
    return ctx.profiles.add(req.accountId, body);
  });

  // A repeated query parameter (?tag=a&tag=b) takes its last value, as FastAPI does.
  const lastValue = async (req: FastifyRequest) => {
    const q = req.query as Record<string, unknown>;
    for (const k of Object.keys(q)) if (Array.isArray(q[k])) q[k] = (q[k] as unknown[]).at(-1);
  };
  api.get('/profiles/ids', { schema: { querystring: ProfileIdsQuery }, preValidation: lastValue }, async (req) =>
    ctx.profiles.list(req.accountId, req.query as { tag?: string; limit?: string; cursor?: string }),
  );

  // Sent as the service's JSON text (built once per change of the profile, not per poll).
  api.get<{ Params: { id: string } }>('/profiles/:id/status', async (req, reply) =>
    reply.type('application/json; charset=utf-8').send(await ctx.profiles.statusJson(req.accountId, req.params.id)),
  );

  api.get<{ Params: { id: string } }>('/profiles/:id/profile_picture', async (req, reply) => {
    const jpeg = await ctx.profiles.picture(req.accountId, req.params.id);
    return reply.type('image/jpeg').header('Cache-Control', 'private, max-age=300').send(jpeg);
  });

  api.delete<{ Params: { id: string } }>('/profiles/:id', async (req) => ctx.profiles.delete(req.accountId, req.params.id));
}
