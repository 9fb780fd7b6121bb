// The console's client of the Likeness API on the same origin. The key lives in
// sessionStorage (gone when the tab closes), is sent as X-API-Key, never put in a URL.

const KEY = 'likeness.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/** Called on 401 so the app can return to the sign-in page. */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void) => (onUnauthorized = fn);

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (Array.isArray(body.detail)) {
      const msg = body.detail.map((d: { loc: (string | number)[]; msg: string }) => `${d.loc.slice(1).join('.') || 'body'}: ${d.msg}`).join('; ');
      return new ApiError(res.status, 'VALIDATION_ERROR', msg);
    }
    return new ApiError(res.status, body.code ?? 'ERROR', body.detail ?? res.statusText, body.request_id ?? null);
  } catch {
    return new ApiError(res.status, 'ERROR', text.slice(0, 200) || res.statusText);
  }
}

export async function request(method: string, path: string, body?: unknown, opts: { key?: string; raw?: Blob; signal?: AbortSignal } = {}): Promise<Response> {
  const key = opts.key ?? session.key();
  const headers: Record<string, string> = {};
  if (key) headers['X-API-Key'] = key;
  let payload: BodyInit | undefined;
  if (opts.raw) {
    headers['Content-Type'] = opts.raw.type || 'image/jpeg';
    payload = opts.raw;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check that Likeness is running.');
  }
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && !opts.key) onUnauthorized();
    throw err;
  }
  return res;
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { key?: string; signal?: AbortSignal } = {}): Promise<T> {
  const res = await request(method, path, body, opts);
  return (await res.json()) as T;
}

export const phota = (p: string) => `/v1/phota${p}`;
export const ext = (p: string) => `/v1/likeness${p}`;

/** Uploads a local file; answers its signed URL (usable as any image input by this account). */
export async function uploadFile(file: Blob): Promise<{ url: string; expires_at: string }> {
  const res = await request('POST', phota('/uploads'), undefined, { raw: file });
  return res.json();
}

/** An authenticated image (profile pictures need the key) as an object URL. */
export async function imageUrl(path: string): Promise<string> {
  const res = await request('GET', path);
  return URL.createObjectURL(await res.blob());
}

// ---- wire types (the parts the console reads) ----
export type ProfileStatus = 'VALIDATING' | 'QUEUING' | 'IN_PROGRESS' | 'READY' | 'ERROR' | 'INACTIVE';
export interface PhotoReport {
  url: string;
  accepted: boolean;
  reasons: string[];
}
export interface Profile {
  profile_id: string;
  status: ProfileStatus;
  message: string | null;
  progress: number;
  images: PhotoReport[] | null;
  subject?: 'person' | 'cat' | 'dog';
  tag: string | null;
  training_tier: 'standard' | 'fast';
  image_count: number;
  created_at: string;
}
export interface Match {
  image_index: number;
  profile_id: string;
  similarity: number;
  box: [number, number, number, number];
  kind?: string;
}
export interface StudioResult {
  images: string[];
  download_urls: string[];
  known_subjects: { counts: Record<string, number>; matches?: Match[] };
}
export interface Job {
  job_id: string;
  kind?: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  created_at: string;
  updated_at: string;
  result: StudioResult | null;
  error: { detail: string; code: string } | null;
}
export interface Me {
  account_id: string;
  key_id: string;
  admin: boolean;
  credits: { enabled: boolean; balance_usd?: number };
  version: string;
}
export interface ModelInfo {
  id: string;
  display_name: string;
  operations: string[];
  resolutions: string[];
  qualities: string[] | null;
  max_input_images: number;
  configured: boolean;
}

export const TERMINAL: ProfileStatus[] = ['READY', 'ERROR', 'INACTIVE'];
