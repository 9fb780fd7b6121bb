import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { buildOpenApi } from '../openapi.js';

export function registerMetaRoutes(api: FastifyInstance, ctx: AppContext): void {
  let doc: object | undefined;
  api.get('/openapi.json', { config: { auth: false } }, async () => (doc ??= buildOpenApi(ctx.version)));

  api.get('/', async (req) => ({ service: 'likeness', version: ctx.version, account_id: req.accountId }));

  api.get('/models', async () => ({
    models: ctx.providers.list().map(({ capabilities: c, configured }) => ({
      id: c.id,
      display_name: c.displayName,
      operations: c.operations,
      resolutions: c.resolutions,
      qualities: c.qualities,
      max_input_images: c.maxInputImages,
      configured,
    })),
    enhance: { local: ctx.config.enhanceBaseModel === null, base_model: ctx.config.enhanceBaseModel },
  }));
}
