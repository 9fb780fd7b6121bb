// Key management for admin keys (extension, outside the Phota paths): /v1/likeness/keys lists,
// creates and revokes keys of every account, so the console can manage them. Ordinary keys get
// 403. /v1/likeness/me tells a client (the console) who it is and what it may do.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../errors.js';
import { newKey } from '../../store/ids.js';
import { creditsEnabledFromEnv } from '../../credits/prices.js';
import type { ApiKeyRecord } from '../../store/types.js';

const CreateKeyRequest = Type.Object({
  name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()])),
  admin: Type.Optional(Type.Boolean()),
});

function requireAdmin(req: FastifyRequest): void {
  if (!req.isAdmin) {
    throw new ApiError(403, 'FORBIDDEN', 'Only an admin key may manage keys (create one with `likeness keys create --admin`).');
  }
}

const keyView = (k: ApiKeyRecord) => ({
  key_id: k.id,
  account_id: k.accountId,
  name: k.name,
  prefix: k.prefix,
  admin: k.admin,
  created_at: new Date(k.createdAt).toISOString(),
  revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
});

export function registerKeyRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get('/me', async (req) => {
    const credits = creditsEnabledFromEnv(ctx.config.env);
    return {
      account_id: req.accountId,
      key_id: req.keyId,
      admin: req.isAdmin,
      credits: credits ? { enabled: true, balance_usd: (await ctx.store.credits.balance(req.accountId)) / 1e6 } : { enabled: false },
      version: ctx.version,
    };
  });

  api.get('/keys', async (req) => {
    requireAdmin(req);
    return { keys: (await ctx.store.keys.list()).map(keyView) };
  });

  api.post('/keys', { schema: { body: CreateKeyRequest } }, async (req) => {
    requireAdmin(req);
    const body = req.body as { name?: string | null; admin?: boolean };
    const name = body.name ?? null;
    const account = await ctx.store.accounts.create(name);
    const key = newKey();
    const rec = await ctx.store.keys.create(account.id, key, name, { admin: body.admin === true });
    return { ...keyView(rec), key };
  });

  api.delete<{ Params: { id: string } }>('/keys/:id', async (req) => {
    requireAdmin(req);
    const id = req.params.id;
    const exists = /^key_[a-z0-9]{12}$/.test(id) && (await ctx.store.keys.list()).some((k) => k.id === id);
    if (!exists) throw new ApiError(404, 'NOT_FOUND', `Key '${id}' not found.`);
    await ctx.store.keys.revoke(id);
    return { key_id: id, status: 'revoked' };
  });
}
