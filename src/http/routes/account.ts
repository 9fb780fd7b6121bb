// Account-level routes: the webhook signing secret, the account webhook (extension) and
// the recognition endpoint (extension).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { RecognizeRequest, WebhookConfigRequest, type RecognizeRequestT } from '../../contract/schemas.js';
import { assertCallbackUrl } from '../../jobs/url-policy.js';
import { loadImageInput } from '../../imaging/input.js';
import { recognize } from '../../identity/recognize.js';
import type { ProfileModel } from '../../identity/types.js';

const ROTATION_GRACE_MS = 24 * 3600 * 1000;

export function registerAccountRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get('/webhook-secret', async (req) => {
    const s = await ctx.store.webhookSecrets.current(req.accountId);
    return { webhook_secret: s.secret };
  });

  api.post('/webhook-secret/rotate', async (req) => {
    const s = await ctx.store.webhookSecrets.rotate(req.accountId, Date.now(), ROTATION_GRACE_MS);
    return { webhook_secret: s.secret, previous_valid_until: new Date(Date.now() + ROTATION_GRACE_MS).toISOString() };
  });

  api.get('/webhook', async (req) => {
    const a = await ctx.store.accounts.get(req.accountId);
    return { url: a?.webhookUrl ?? null, events: ['profile.ready', 'profile.error'] };
  });

  api.put('/webhook', { schema: { body: WebhookConfigRequest } }, async (req) => {
    const { url } = req.body as { url: string };
    await assertCallbackUrl(url, { allowHttp: ctx.config.allowHttpCallbacks, allowPrivate: ctx.config.allowPrivateUrls, field: ['body', 'url'] });
    await ctx.store.accounts.setWebhookUrl(req.accountId, url);
    return { url, events: ['profile.ready', 'profile.error'] };
  });

  api.delete('/webhook', async (req) => {
    await ctx.store.accounts.setWebhookUrl(req.accountId, null);
    return { url: null, events: ['profile.ready', 'profile.error'] };
  });

  api.post('/recognize', { schema: { body: RecognizeRequest } }, async (req) => {
    const body = req.body as RecognizeRequestT;
    const profiles = await ctx.profiles.requireReady(req.accountId, [...new Set(body.profile_ids)]);
    const opts = { allowPrivateUrls: ctx.config.allowPrivateUrls, resolveUpload: ctx.uploads.resolver(req.accountId) };
    const img = await loadImageInput(body.image, opts, 'image');
    const faces = await recognize(
      await ctx.identity(),
      img.data,
      profiles.map((p) => ({ profileId: p.id, model: p.model as ProfileModel })),
    );
    return {
      faces: faces.map((f) => ({
        box: f.box.map(Math.round),
        profile_id: f.profileId,
        similarity: Math.round(f.similarity * 1e4) / 1e4,
        kind: f.kind,
      })),
    };
  });
}
