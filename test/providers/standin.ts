// Test doubles at the outside boundary: tiny HTTP servers on 127.0.0.1 that speak a
// provider's wire protocol and record what they received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { ApiError } from '../../src/errors.js';

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

export interface StandIn {
  url: string;
  server: Server;
  received: Received[];
  close(): Promise<void>;
}

export async function startStandIn(handler: Handler): Promise<StandIn> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const r: Received = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      Promise.resolve(handler(r, res)).catch((err) => {
        res.statusCode = 599;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function json(r: Received): any {
  return JSON.parse(r.body.toString('utf8'));
}

/** Parses a multipart body with the platform's own parser. */
export async function formData(r: Received): Promise<FormData> {
  return new Response(r.body, { headers: { 'content-type': String(r.headers['content-type']) } }).formData();
}

/** A real PNG of one flat colour. */
export function png(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}

/** A port on 127.0.0.1 with nothing listening (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 };

/** assert.rejects matcher: an ApiError with this status and code. */
export const is = (status: number, code: string) => (e: unknown) => e instanceof ApiError && e.status === status && e.code === code;
