// Signed output URLs (decisions #31). The signature is the credential: no X-API-Key, so the
// URLs work in an <img> tag or a plain download, like the hosted product's CDN links.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../errors.js';
import { verifyFileUrl } from '../../blobs/signed-url.js';

export function registerFileRoutes(api: FastifyInstance, ctx: AppContext): void {
  api.get<{ Params: { date: string; name: string }; Querystring: { expires?: string; token?: string } }>(
    '/files/:date/:name',
    { config: { auth: false } },
    async (req, reply) => {
      const { date, name } = req.params;
      if (!/^\d{8}$/.test(date) || !/^[a-f0-9]{32}\.(jpg|png)$/.test(name)) {
        throw new ApiError(404, 'NOT_FOUND', 'File not found.');
      }
      const path = `/v1/phota/files/${date}/${name}`;
      const check = verifyFileUrl(path, req.query, ctx.urlSecret, Math.floor(Date.now() / 1000));
      if (check === 'expired') throw new ApiError(403, 'FORBIDDEN', 'This download URL has expired; fetch the job again for a fresh one.');
      if (check !== 'ok') throw new ApiError(403, 'FORBIDDEN', 'Invalid download URL signature.');
      const key = `${date}/${name}`;
      const rec = await ctx.store.files.get(key);
      const data = rec && rec.expiresAt > Date.now() ? await ctx.blobs.get(`outputs/${key}`) : undefined;
      if (!rec || !data) throw new ApiError(404, 'NOT_FOUND', 'File not found or no longer kept.');
      return reply.type(rec.contentType).header('Cache-Control', 'private, max-age=86400').send(data);
    },
  );
}
