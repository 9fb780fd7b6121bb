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

export function registerStudioRoutes(api: FastifyInstance, ctx: AppContext): void {
  const route = (kind: StudioKind, schema: TSchema) =>
    api.post(`/${kind}`, { schema: { body: schema } }, async (req, reply) => {
      // Unknown fields (legacy pro_mode, ...) are ignored: dropped here so they cannot change
      // behaviour or an idempotency fingerprint.
      const body = Value.Clean(schema, structuredClone(req.body)) as Record<string, unknown>;
      const prepared = await ctx.studio.prepare(req.accountId, kind, body);
      const baseUrl = baseUrlOf(ctx, req);
      if (body.async) {
        const handle = await ctx.jobs.submit(req.accountId, prepared, baseUrl);
        return reply.code(202).send(handle);
      }
      return ctx.jobs.runSync(req.accountId, prepared, baseUrl);
    });
  route('edit', EditRequest);
  route('generate', GenerateRequest);
  route('enhance', EnhanceRequest);
  route('remix', RemixRequest);
}
