import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { EditRequest, EnhanceRequest, GenerateRequest, RemixRequest } from '../../contract/schemas.js';
import type { StudioKind } from '../../studio/service.js';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';

/** Base of poll_url and download URLs: the configured public URL, else the Host the client used. */
export function baseUrlOf(ctx: AppContext, req: FastifyRequest): string {
  return ctx.config.publicUrl ?? `${req.protocol}://${req.headers.host ?? `localhost:${ctx.config.port}`}`;
}

/** This account's upload URLs in image fields become their bytes (read from the blob store, never fetched). */
async function inlineUploads(ctx: AppContext, accountId: string, body: Record<string, unknown>): Promise<void> {
  for (const field of ['image', 'input_image', 'reference_image']) {
    if (typeof body[field] === 'string') body[field] = await ctx.uploads.inline(accountId, body[field] as string, field);
  }
  if (Array.isArray(body.images)) {
    body.images = await Promise.all(body.images.map((v, i) => (typeof v === 'string' ? ctx.uploads.inline(accountId, v, `images[${i}]`) : v)));
  }
}

export function registerStudioRoutes(api: FastifyInstance, ctx: AppContext): void {
  const route = (kind: StudioKind, schema: TSchema) =>
    api.post(`/${kind}`, { schema: { body: schema } }, async (req, reply) => {
      // Unknown fields (legacy pro_mode, ...) are ignored: dropped here so they cannot change
      // behaviour or an idempotency fingerprint.
      const body = Value.Clean(schema, structuredClone(req.body)) as Record<string, unknown>;
      await inlineUploads(ctx, req.accountId, body);
      const prepared = await ctx.studio.prepare(req.accountId, kind, body);
      const baseUrl = baseUrlOf(ctx, req);
      if (body.async) {
        const handle = await ctx.jobs.submit(req.accountId, prepared, baseUrl);
        return reply.code(202).send(handle);
      }
      const { body: result, baseModelCalls } = await ctx.jobs.runSync(req.accountId, prepared, baseUrl);
      // Extension (issue #12): every base-model call the request took, retries and repairs included.
      reply.header('X-Likeness-Base-Model-Calls', String(baseModelCalls));
      return result;
    });
  route('edit', EditRequest);
  route('generate', GenerateRequest);
  route('enhance', EnhanceRequest);
  route('remix', RemixRequest);
}
