// The Fastify application: request ids, auth, error mapping and the routes. Nothing below
// http/ knows about Fastify; routes turn JSON into calls on the use cases in AppContext.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { ApiError, ValidationFailed, type ValidationIssue } from '../errors.js';
import type { AppContext } from '../context.js';
import { toValidationIssues } from './validation.js';
import { registerProfileRoutes } from './routes/profiles.js';
import { registerStudioRoutes } from './routes/studio.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerAccountRoutes } from './routes/account.js';
import { registerMetaRoutes } from './routes/meta.js';
import { registerFileRoutes } from './routes/files.js';
import { createRateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    accountId: string;
  }
  interface FastifyContextConfig {
    /** false: the route needs no X-API-Key (openapi.json, signed file URLs). */
    auth?: boolean;
  }
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
      return `req_${randomBytes(12).toString('hex')}`;
    },
    ajv: { customOptions: { allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false } },
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  // Requests with no body at all (or `null`) are a 422 on `body`, as in FastAPI.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const text = (body as Buffer).toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      const m = /position (\d+)/.exec(String((e as Error).message));
      done(new ValidationFailed([{ loc: ['body', m ? Number(m[1]) : 0], msg: 'JSON decode error', type: 'json_invalid' }]), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  // Auth runs first (onRequest), so an unauthenticated caller never gets its body parsed.
  const limiter = createRateLimiter(ctx.config.rateLimitPerMinute);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.routeOptions.config?.auth === false || !req.routeOptions.url) return; // public, or 404
    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') {
      throw new ApiError(403, 'API_KEY_MISSING', 'Missing X-API-Key header (no API key provided).');
    }
    const found = typeof key === 'string' ? await ctx.store.keys.findAccountByKey(key) : undefined;
    if (!found) throw new ApiError(401, 'API_KEY_INVALID', 'Invalid API key in the X-API-Key header.');
    req.accountId = found.accountId;
    const wait = limiter.take(found.keyId, Date.now());
    if (wait > 0) {
      throw new ApiError(429, 'RATE_LIMITED', 'Too many requests for this API key; retry after the time in Retry-After.', {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
  });

  // A missing body is a 422 on "body" (FastAPI), not a type error on the root object.
  app.addHook('preValidation', async (req: FastifyRequest) => {
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
    },
    { prefix: '/v1/phota' },
  );
  return app;
}
