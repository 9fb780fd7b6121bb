// The Fastify application: request ids, auth, error mapping and the routes. Nothing below
// http/ knows about Fastify; routes turn JSON into calls on the use cases in AppContext.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ApiError, ValidationFailed, type ValidationIssue } from '../errors.js';
import type { AppContext } from '../context.js';
import { toValidationIssues } from './validation.js';
import { findNul, mayHoldNul, NUL_MESSAGE } from './nul.js';
import { registerProfileRoutes } from './routes/profiles.js';
import { registerStudioRoutes } from './routes/studio.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerAccountRoutes } from './routes/account.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerFileRoutes } from './routes/files.js';
import { registerUploadRoutes } from './routes/uploads.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerListingRoutes } from './routes/listings.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerConsoleRoutes } from './routes/console.js';
import { httpDuration, httpRequests } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
    keyId: string;
    /** An admin key: may also manage keys (/v1/likeness/keys). */
    isAdmin: boolean;
  }
  interface FastifyContextConfig {
    /** false: the route needs no X-API-Key (openapi.json, signed file URLs). */
    auth?: boolean;
    /** The body is an image (uploads): an oversized one is 400 IMAGE_TOO_LARGE, like other image inputs. */
    imageBody?: boolean;
  }
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Request ids: a random per-process part and a counter (unique without a CSPRNG call per request).
const REQ_PREFIX = `req_${randomBytes(6).toString('hex')}`;
let reqCounter = 0;
const nextRequestId = () => `${REQ_PREFIX}${(++reqCounter).toString(16).padStart(12, '0')}`;

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).send({ detail: err.detail, code: err.code, request_id: reply.request.id });
}

function sendValidation(reply: FastifyReply, issues: ValidationIssue[]): FastifyReply {
  return reply.code(422).send({ detail: issues });
}

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: ctx.config.logLevel === 'silent' ? false : { level: ctx.config.logLevel },
    bodyLimit: ctx.config.bodyLimit,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming)) return incoming;
      return nextRequestId();
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false } },
    // Graceful shutdown: idle keep-alive sockets are closed, requests in flight finish (a
    // `true` here would destroy them mid-response). Requests that still arrive while closing
    // get a 503 in the contract's error shape (hook below), not Fastify's own body.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    // Ids longer than this cannot exist; longer path segments get a 404 from frameworkErrors.
    routerOptions: { maxParamLength: 256 },
    // Node's HTTP parser refuses a request before Fastify sees it (headers or URL too large,
    // a malformed request line): answer in the contract's shape, not Fastify's own body.
    clientErrorHandler: (err, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      const status = tooLarge ? 431 : 400;
      const body = JSON.stringify({
        detail: tooLarge ? 'The request headers or URL are too large.' : 'Malformed HTTP request.',
        code: tooLarge ? 'HEADERS_TOO_LARGE' : 'INVALID_REQUEST',
        request_id: nextRequestId(),
      });
      socket.end(
        `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    // Router-level failures (undecodable URL, overlong path segment) in the contract's shape.
    frameworkErrors: (error, req, reply) => {
      reply.header('X-Request-Id', req.id);
      const path = req.url.split('?')[0];
      const code = /^\/v1\/phota\/profiles\//.test(path) ? 'PROFILE_NOT_FOUND' : 'NOT_FOUND';
      const detail = error.code === 'FST_ERR_BAD_URL' ? 'The request path is not a valid URL.' : 'Not found.';
      void sendError(reply, new ApiError(404, code, detail));
    },
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // Requests with no body at all (or `null`) are a 422 on `body`, as in FastAPI.
  const parseJson = (body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec(String((e as Error).message));
      return done(new ValidationFailed([{ loc: ['body', m ? Number(m[1]) : 0], msg: 'JSON decode error', type: 'json_invalid' }]), undefined);
    }
    const nulAt = mayHoldNul(text) ? findNul(parsed) : undefined;
    if (nulAt) return done(new ValidationFailed([{ loc: ['body', ...nulAt], msg: NUL_MESSAGE, type: 'value_error' }]), undefined);
    done(null, parsed);
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => parseJson(body as Buffer, done));
  // As FastAPI does: a body with no Content-Type at all (Python `requests.post(data=json.dumps(..))`)
  // and `application/*+json` are read as JSON; any other type is refused with 415.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const ct = req.headers['content-type'];
    if (ct === undefined || /^application\/[\w.-]+\+json\s*(;|$)/i.test(ct)) return parseJson(body as Buffer, done);
    done(new ApiError(415, 'INVALID_REQUEST', 'Send JSON with Content-Type: application/json.'), undefined);
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
    if (closing) {
      reply.header('Connection', 'close');
      throw new ApiError(503, 'OVERLOADED', 'The server is shutting down; retry on another instance or shortly.', { 'Retry-After': '5' });
    }
  });

  // Auth runs first (onRequest), so an unauthenticated caller never gets its body parsed.
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.routeOptions.config?.auth === false || !req.routeOptions.url) return; // public, or 404
    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') {
      throw new ApiError(403, 'API_KEY_MISSING', 'Missing X-API-Key header (no API key provided).');
    }
    const found = typeof key === 'string' ? await ctx.store.keys.findAccountByKey(key) : undefined;
    if (!found) throw new ApiError(401, 'API_KEY_INVALID', 'Invalid API key in the X-API-Key header.');
    req.accountId = found.accountId;
    req.keyId = found.keyId;
    req.isAdmin = found.admin;
    const wait = await ctx.rateLimiter.take(found.keyId, Date.now());
    if (wait > 0) {
      throw new ApiError(429, 'RATE_LIMITED', 'Too many requests for this API key; retry after the time in Retry-After.', {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
  });

  // A missing body is a 422 on "body" (FastAPI), not a type error on the root object.
  app.addHook('preValidation', async (req: FastifyRequest) => {
    // An id with a NUL in it cannot exist (and Postgres cannot even look it up).
    for (const v of Object.values((req.params ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'string' && v.includes('\u0000')) {
        const code = /^\/v1\/phota\/profiles\//.test(req.url) ? 'PROFILE_NOT_FOUND' : 'NOT_FOUND';
        throw new ApiError(404, code, 'Not found (the path contains a NUL character).');
      }
    }
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if ((typeof v === 'string' && v.includes('\u0000')) || (Array.isArray(v) && v.some((x) => typeof x === 'string' && x.includes('\u0000')))) {
        throw new ValidationFailed([{ loc: ['query', k], msg: NUL_MESSAGE, type: 'value_error' }]);
      }
    }
    if (req.routeOptions.schema?.body && (req.body === undefined || req.body === null)) {
      throw new ValidationFailed([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
    }
  });

  app.setErrorHandler((error: FastifyError | Error, req, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    if (error instanceof ValidationFailed) return sendValidation(reply, error.issues);
    const fe = error as FastifyError & { validation?: unknown[]; validationContext?: string };
    if (Array.isArray(fe.validation)) {
      const root = fe.validationContext === 'querystring' ? 'query' : fe.validationContext === 'params' ? 'path' : 'body';
      return sendValidation(reply, toValidationIssues(fe.validation as never, root));
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && req.routeOptions.config?.imageBody) {
      return sendError(reply, new ApiError(400, 'IMAGE_TOO_LARGE', 'file: the image is larger than the 25 MB limit'));
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, new ApiError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${Math.round(ctx.config.bodyLimit / 1048576)} MB.`));
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(reply, new ApiError(415 as number, 'INVALID_REQUEST', 'Send JSON with Content-Type: application/json.'));
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, new ApiError(fe.statusCode, 'INVALID_REQUEST', fe.message));
    }
    req.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new ApiError(500, 'INTERNAL_ERROR', 'Internal error. Quote the request_id when reporting it.'));
  });

  // Metrics: every answered request by route template (bounded: unknown paths are "unmatched").
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler((req, reply) => {
    sendError(reply, new ApiError(404, 'NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}.`));
  });

  await app.register(
    async (api) => {
      registerMetaRoutes(api, ctx);
      registerProfileRoutes(api, ctx);
      registerStudioRoutes(api, ctx);
      registerJobRoutes(api, ctx);
      registerAccountRoutes(api, ctx);
      registerFileRoutes(api, ctx);
      registerUploadRoutes(api, ctx);
    },
    { prefix: '/v1/phota' },
  );
  // Extensions outside the Phota paths: key management (admin keys) and the console's listings.
  await app.register(
    async (api) => {
      registerKeyRoutes(api, ctx);
      registerListingRoutes(api, ctx);
    },
    { prefix: '/v1/likeness' },
  );
  registerMetricsRoute(app, ctx);
  registerConsoleRoutes(app);
  return app;
}
