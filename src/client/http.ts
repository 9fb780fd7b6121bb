// A small client of a Likeness server for the CLI: base URL and key from LIKENESS_URL and
// LIKENESS_API_KEY, errors turned into one readable line (the API's `detail`, or the 422 list).

export class ClientError extends Error {
  constructor(
    message: string,
    readonly status = 0,
    readonly code = '',
  ) {
    super(message);
  }
}

export interface Client {
  baseUrl: string;
  json<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  upload(data: Buffer, contentType: string): Promise<{ url: string; expires_at: string }>;
  download(url: string): Promise<Buffer>;
}

export function clientFromEnv(env: NodeJS.ProcessEnv): Client {
  const baseUrl = (env.LIKENESS_URL || 'http://localhost:8080').replace(/\/+$/, '');
  const key = env.LIKENESS_API_KEY;
  if (!key) throw new ClientError('Set LIKENESS_API_KEY to your API key (and LIKENESS_URL if the server is not http://localhost:8080).');
  try {
    new URL(baseUrl);
  } catch {
    throw new ClientError(`LIKENESS_URL must be a URL like http://localhost:8080, got "${env.LIKENESS_URL}"`);
  }
  return createClient(baseUrl, key);
}

async function failure(res: Response): Promise<ClientError> {
  const text = await res.text();
  let detail = text.slice(0, 300) || res.statusText;
  let code = '';
  try {
    const body = JSON.parse(text);
    if (Array.isArray(body.detail)) detail = body.detail.map((d: { loc: unknown[]; msg: string }) => `${d.loc.join('.')}: ${d.msg}`).join('; ');
    else if (typeof body.detail === 'string') detail = body.detail;
    code = body.code ?? '';
  } catch {
    // not JSON
  }
  return new ClientError(`${res.status}${code ? ` ${code}` : ''}: ${detail}`, res.status, code);
}

export function createClient(baseUrl: string, key: string): Client {
  const call = async (method: string, path: string, init: { body?: string | Buffer; type?: string } = {}) => {
    let res: Response;
    try {
      res = await fetch(baseUrl + path, {
        method,
        headers: { 'X-API-Key': key, ...(init.type ? { 'Content-Type': init.type } : {}) },
        body: init.body,
        signal: AbortSignal.timeout(15 * 60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new ClientError(`Cannot reach ${baseUrl}${cause ? ` (${cause})` : ''}. Is the server running? (LIKENESS_URL)`);
    }
    if (!res.ok) throw await failure(res);
    return res;
  };
  return {
    baseUrl,
    async json(method, path, body) {
      const res = await call(method, path, body === undefined ? {} : { body: JSON.stringify(body), type: 'application/json' });
      return (await res.json()) as never;
    },
    async upload(data, contentType) {
      const res = await call('POST', '/v1/phota/uploads', { body: data, type: contentType });
      return res.json() as Promise<{ url: string; expires_at: string }>;
    },
    async download(url) {
      const res = await fetch(url, { signal: AbortSignal.timeout(5 * 60_000) });
      if (!res.ok) throw await failure(res);
      return Buffer.from(await res.arrayBuffer());
    },
  };
}
