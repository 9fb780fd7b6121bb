// The web console (web/, built by Vite into dist/web) served at /console on the API's own
// origin: static files, no API key (the page asks for one and calls the API with it).
// Hashed assets are cached for a year; index.html never, so a new build is picked up.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.js';

/** dist/web, from dist/src/http/routes/ at run time. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// Everything the page loads comes from this origin; API calls too.
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";

export function registerConsoleRoutes(app: FastifyInstance, dir = CONSOLE_DIR): void {
  const send = async (file: string, reply: import('fastify').FastifyReply, immutable: boolean) => {
    const ext = file.slice(file.lastIndexOf('.'));
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      if (file.endsWith('index.html')) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The console is not built. Run `npm run build` (it needs the dev dependencies: `npm ci`).');
      }
      throw new ApiError(404, 'NOT_FOUND', 'No such console file.');
    }
    return reply
      .type(TYPES[ext] ?? 'application/octet-stream')
      .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('Content-Security-Policy', CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .send(data);
  };
  app.get('/console', { config: { auth: false } }, async (req, reply) => send(join(dir, 'index.html'), reply, false));
  app.get<{ Params: { '*': string } }>('/console/*', { config: { auth: false } }, async (req, reply) => {
    const rel = normalize(req.params['*'] || 'index.html');
    if (rel.startsWith('..') || rel.includes(`${sep}..`) || rel.startsWith(sep)) throw new ApiError(404, 'NOT_FOUND', 'No such console file.');
    const isAsset = rel.startsWith(`assets${sep}`);
    // Hash routes (#/profiles) keep every page on index.html; unknown paths get it too.
    const file = isAsset || /\.[a-z0-9]+$/i.test(rel) ? join(dir, rel) : join(dir, 'index.html');
    return send(file, reply, isAsset);
  });
}
