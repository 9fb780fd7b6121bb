// GET /metrics in the Prometheus text format. With LIKENESS_METRICS_TOKEN it needs
// `Authorization: Bearer <token>`; with LIKENESS_METRICS_PORT it is served on its own port
// (a plain HTTP server on the same HOST) and not on the API port.
import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ApiError } from '../../errors.js';
import { registry } from '../../metrics/registry.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check of an Authorization header against the token; true when no token is set. */
export function metricsAuthorized(header: string | undefined, token: string | null): boolean {
  if (token === null) return true;
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return !!m && timingSafeEqual(digest(m[1].trim()), digest(token));
}

export function registerMetricsRoute(app: FastifyInstance, ctx: AppContext): void {
  if (ctx.config.metricsPort !== null) return; // served on its own port instead
  app.get('/metrics', { config: { auth: false } }, async (req, reply) => {
    if (!metricsAuthorized(req.headers.authorization, ctx.config.metricsToken)) {
      throw new ApiError(401, 'API_KEY_INVALID', 'GET /metrics needs Authorization: Bearer <LIKENESS_METRICS_TOKEN>.');
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/** The separate metrics server (LIKENESS_METRICS_PORT). */
export async function startMetricsServer(host: string, port: number, token: string | null): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Not found.', code: 'NOT_FOUND', request_id: null }));
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, token)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'Bearer token required.', code: 'API_KEY_INVALID', request_id: null }));
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(body);
    } catch {
      res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  const addr = srv.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}
