// A real HTTP server on 127.0.0.1 for fetch tests; close() also drops hanging connections.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackServer {
  port: number;
  base: string;
  /** Requests seen, for assertions on paths and Host headers. */
  seen: { path: string; host: string | undefined }[];
  close(): Promise<void>;
}

export async function startLoopbackServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, port: number) => void,
  host = '127.0.0.1',
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const seen: LoopbackServer['seen'] = [];
  let port = 0;
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host });
    handler(req, res, port);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
