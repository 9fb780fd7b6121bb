// Server-side fetching of user-supplied URLs without becoming an SSRF proxy:
// every hop is resolved here, every resolved address is vetted, and the socket is pinned to
// the vetted address (a second DNS answer cannot rebind it to 127.0.0.1). Redirects are
// followed by hand so each Location gets the same treatment. One deadline covers DNS,
// connect, headers, redirects and body; the body is streamed and cut off past maxBytes.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { hostForLookup, isForbiddenAddress, isIpLiteral } from './address-policy.js';

export { isForbiddenAddress } from './address-policy.js';

export type FetchFailureKind =
  | 'invalid_url' // not http(s), unparseable, credentials in it
  | 'blocked' // resolves to a private/loopback/... address
  | 'dns' // name does not resolve
  | 'network' // refused, reset, TLS failure
  | 'timeout'
  | 'http_status' // non-2xx answer
  | 'redirects' // too many, or a redirect without a usable Location
  | 'too_large'; // body larger than maxBytes

/** Why a fetch failed; `message` is written for the end user (no stack-trace jargon). */
export class FetchError extends Error {
  constructor(
    readonly kind: FetchFailureKind,
    message: string,
    /** HTTP status for kind 'http_status'. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface SafeFetchOptions {
  /** Let the URL reach private/loopback addresses (tests, local setups). */
  allowPrivate: boolean;
  /** One deadline for the whole fetch, redirects included (contract: 20 s). */
  timeoutMs: number;
  /** Redirects followed at most (contract: 3). 0 = a redirect is an error. */
  maxRedirects: number;
  /** Body larger than this aborts with kind 'too_large'. */
  maxBytes: number;
  /** Allow plain http:// (default true; image URLs may be http). */
  allowHttp?: boolean;
  /** Defaults to GET. A POST is never redirected (its body would be replayed elsewhere). */
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** DNS resolver, replaceable so tests can map a name to an address without a DNS server. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
  /**
   * Which addresses are refused when allowPrivate is false (default isForbiddenAddress).
   * Tests use it to treat one loopback address as "public" and another as "private".
   */
  isForbidden?: (ip: string) => boolean;
}

export interface SafeFetchResult {
  data: Buffer;
  contentType: string | null;
  status: number;
  /** The URL the body finally came from, after redirects. */
  finalUrl: string;
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

const defaultResolve = (host: string): Promise<LookupAddress[]> => dnsLookup(host, { all: true, verbatim: true });

/** Shortens a URL for messages: signed URLs can be kilobytes long. */
export function describeUrl(url: string): string {
  return url.length > 120 ? `${url.slice(0, 117)}...` : url;
}

/** Parses and checks scheme/credentials; throws FetchError('invalid_url'). */
export function parseHttpUrl(raw: string, allowHttp = true): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError('invalid_url', 'the URL is not valid');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new FetchError('invalid_url', allowHttp ? 'only http and https URLs are supported' : 'only https URLs are allowed');
  }
  if (url.username || url.password) throw new FetchError('invalid_url', 'URLs with a user name or password are not accepted');
  return url;
}

/**
 * Resolves `hostname` (all addresses) and refuses it when any address is forbidden and
 * `allowPrivate` is false. Returns the vetted addresses, first one to connect to.
 */
export async function resolveVetted(
  hostname: string,
  allowPrivate: boolean,
  resolve: (host: string) => Promise<LookupAddress[]> = defaultResolve,
  isForbidden: (ip: string) => boolean = isForbiddenAddress,
): Promise<LookupAddress[]> {
  const host = hostForLookup(hostname);
  let addresses: LookupAddress[];
  if (isIpLiteral(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new FetchError('dns', `the host name "${host}" could not be resolved`);
    }
    if (addresses.length === 0) throw new FetchError('dns', `the host name "${host}" could not be resolved`);
  }
  if (!allowPrivate && addresses.some((a) => isForbidden(a.address))) {
    throw new FetchError('blocked', `the host "${host}" points to a private or local network address, which is not allowed`);
  }
  return addresses;
}

/**
 * Vets a URL another component will call (e.g. a job's callback_url): http(s) only
 * (https only when allowHttp is false), no credentials, and its host must not resolve to a
 * forbidden address unless allowPrivate. Throws FetchError; returns the parsed URL and the
 * vetted addresses (connect to those to avoid DNS rebinding).
 */
export async function assertPublicHttpUrl(
  raw: string,
  opts: { allowPrivate: boolean; allowHttp?: boolean; resolve?: (host: string) => Promise<LookupAddress[]> },
): Promise<{ url: URL; addresses: LookupAddress[] }> {
  const url = parseHttpUrl(raw, opts.allowHttp ?? true);
  const addresses = await resolveVetted(url.hostname, opts.allowPrivate, opts.resolve);
  return { url, addresses };
}

/** A `lookup` for http.request that always answers the already-vetted address. */
export function pinnedLookup(address: LookupAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options && options.all) cb(null, [{ address: address.address, family: address.family }]);
    else cb(null, address.address, address.family);
  }) as unknown as LookupFunction;
}

function networkMessage(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'the server refused the connection';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was closed by the server';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the server is unreachable';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_HEADER_OVERFLOW':
      return 'the server sent an invalid HTTP response';
    default:
      if (err.code && /CERT|SSL|TLS|SELF_SIGNED/i.test(err.code)) return 'the secure (TLS) connection failed';
      return 'the connection failed';
  }
}

interface HopResult {
  redirectTo?: string;
  result?: SafeFetchResult;
}

function requestOnce(
  url: URL,
  address: LookupAddress,
  opts: SafeFetchOptions,
  signal: AbortSignal,
): Promise<HopResult> {
  return new Promise<HopResult>((resolveHop, rejectHop) => {
    // First outcome wins: destroying a socket emits follow-up errors we must not report.
    let settled = false;
    const resolve = (v: HopResult) => {
      if (settled) return;
      settled = true;
      resolveHop(v);
    };
    const reject = (e: unknown) => {
      if (settled) return;
      settled = true;
      rejectHop(e);
    };
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      'user-agent': 'Likeness/0.1',
      accept: 'image/*,*/*;q=0.5',
      'accept-encoding': 'identity', // we never inflate: a gzip bomb stays a small body
      ...opts.headers,
    };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const host = hostForLookup(url.hostname);
    const req = mod.request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: opts.method ?? 'GET',
        headers,
        lookup: pinnedLookup(address),
        agent: false,
        signal,
        // Only DNS names are valid SNI values.
        ...(url.protocol === 'https:' && !isIpLiteral(host) ? { servername: host } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (REDIRECT_CODES.has(status)) {
          res.resume();
          const loc = res.headers.location;
          if (!loc) return reject(new FetchError('redirects', `the server answered ${status} without saying where to go`));
          let next: string;
          try {
            next = new URL(loc, url).toString();
          } catch {
            return reject(new FetchError('redirects', 'the server redirected to an invalid URL'));
          }
          return resolve({ redirectTo: next });
        }
        if (status < 200 || status > 299) {
          res.resume();
          const text = res.statusMessage ? ` ${res.statusMessage}` : '';
          return reject(new FetchError('http_status', `the server answered ${status}${text}`, status));
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          reject(tooLarge(opts.maxBytes));
          return res.destroy();
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > opts.maxBytes) {
            reject(tooLarge(opts.maxBytes));
            res.destroy();
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const ct = res.headers['content-type'];
          resolve({
            result: { data: Buffer.concat(chunks, total), contentType: ct ?? null, status, finalUrl: url.toString() },
          });
        });
        res.on('aborted', () => reject(new FetchError('network', 'the connection was closed before the whole file arrived')));
        res.on('error', (err) => reject(mapRequestError(err, signal)));
      },
    );
    req.on('error', (err) => reject(mapRequestError(err, signal)));
    req.end(opts.body);
  });
}

function tooLarge(maxBytes: number): FetchError {
  return new FetchError('too_large', `the file is larger than the ${formatBytes(maxBytes)} limit`);
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

function mapRequestError(err: unknown, signal: AbortSignal): FetchError {
  if (err instanceof FetchError) return err;
  if (signal.aborted) return new FetchError('timeout', 'the server did not answer in time');
  return new FetchError('network', networkMessage(err as NodeJS.ErrnoException));
}

/**
 * Fetches `rawUrl` following at most `maxRedirects` redirects, refusing private addresses
 * (unless allowPrivate) at every hop. Throws FetchError; never hangs past timeoutMs.
 */
export async function safeFetch(rawUrl: string, opts: SafeFetchOptions): Promise<SafeFetchResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new FetchError('timeout', 'the server did not answer in time'));
    }, opts.timeoutMs);
  });
  // The deadline promise may reject after the work settled; nobody awaits it then.
  deadline.catch(() => undefined);
  try {
    return await Promise.race([run(rawUrl, opts, controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
    controller.abort(); // closes any socket still open (e.g. after an error mid-body)
  }
}

async function run(rawUrl: string, opts: SafeFetchOptions, signal: AbortSignal): Promise<SafeFetchResult> {
  let current = rawUrl;
  for (let hop = 0; ; hop++) {
    const url = parseHttpUrl(current, opts.allowHttp ?? true);
    const addresses = await resolveVetted(url.hostname, opts.allowPrivate, opts.resolve, opts.isForbidden);
    if (signal.aborted) throw new FetchError('timeout', 'the server did not answer in time');
    const { redirectTo, result } = await requestOnce(url, addresses[0], opts, signal);
    if (result) return result;
    if ((opts.method ?? 'GET') === 'POST') {
      throw new FetchError('redirects', 'the server answered with a redirect, which is not followed for this request');
    }
    if (hop + 1 > opts.maxRedirects) {
      throw new FetchError('redirects', `the server redirected more than ${opts.maxRedirects} times`);
    }
    current = redirectTo!;
  }
}
