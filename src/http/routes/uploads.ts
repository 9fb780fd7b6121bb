// Local uploads (extension): POST image bytes (raw image/* body or multipart), get back a
// signed URL that this account's /profiles/add and studio requests accept. GET on that URL
// serves the stored bytes (the signature is the credential, like output files), so the
// console can show thumbnails in a training report.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../errors.js';
import { MAX_INPUT_BYTES } from '../../imaging/input.js';
import { verifyFileUrl } from '../../blobs/signed-url.js';
import { UPLOAD_PATH_RE } from '../../uploads/url.js';
import { baseUrlOf } from './studio.js';

/** Room for multipart boundaries and part headers around a maximal image. */
const MULTIPART_SLACK = 64 * 1024;
export const UPLOAD_BODY_LIMIT = MAX_INPUT_BYTES + MULTIPART_SLACK;

async function fileFromMultipart(body: Buffer, contentType: string): Promise<Buffer> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ApiError(400, 'INVALID_REQUEST', 'The multipart body could not be parsed.');
  }
  const named = form.get('file');
  const file = (typeof named === 'object' && named ? named : [...form.values()].find((v) => typeof v !== 'string')) as Blob | undefined;
  if (!file) throw new ApiError(400, 'INVALID_REQUEST', 'The multipart body has no file part (send the image as the "file" field).');
  return Buffer.from(await file.arrayBuffer());
}

export function registerUploadRoutes(api: FastifyInstance, ctx: AppContext): void {
  // Scoped parsers: only this plugin's routes accept image and multipart bodies.
  api.register(async (scope) => {
    const raw = (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body);
    scope.addContentTypeParser(/^image\/[\w.+-]+/i, { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, raw);
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT }, raw);

    scope.post('/uploads', { config: { imageBody: true }, bodyLimit: UPLOAD_BODY_LIMIT }, async (req) => {
      const ct = String(req.headers['content-type'] ?? '');
      if (!Buffer.isBuffer(req.body)) {
        throw new ApiError(415, 'INVALID_REQUEST', 'Send the image as a raw image/* body or as multipart/form-data with a "file" part.');
      }
      const data = /^multipart\/form-data/i.test(ct) ? await fileFromMultipart(req.body, ct) : req.body;
      return ctx.uploads.create(req.accountId, data, baseUrlOf(ctx, req));
    });

    scope.get<{ Params: { name: string }; Querystring: { expires?: string; token?: string } }>(
      '/uploads/:name',
      { config: { auth: false } },
      async (req, reply) => {
        const path = `/v1/phota/uploads/${req.params.name}`;
        const m = UPLOAD_PATH_RE.exec(path);
        if (!m) throw new ApiError(404, 'NOT_FOUND', 'Upload not found.');
        const check = verifyFileUrl(path, req.query, ctx.urlSecret, Math.floor(Date.now() / 1000));
        if (check === 'expired') throw new ApiError(403, 'FORBIDDEN', 'This upload URL has expired; upload the file again.');
        if (check !== 'ok') throw new ApiError(403, 'FORBIDDEN', 'Invalid upload URL signature.');
        const found = await ctx.uploads.read(m[1]);
        if (!found) throw new ApiError(404, 'NOT_FOUND', 'Upload not found or no longer kept.');
        return reply.type(found.contentType).header('Cache-Control', 'private, max-age=3600').send(found.data);
      },
    );
  });
}
