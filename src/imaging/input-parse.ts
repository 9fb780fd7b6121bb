// Tells the three kinds of image input apart (decisions #10) and decodes the inline ones.
// Pure. The size limit is applied to the base64 text before it is decoded, so an oversized
// payload never costs a 25+ MB allocation.

export type ParsedInput =
  | { kind: 'url'; url: string }
  | { kind: 'bytes'; data: Buffer; source: 'base64' | 'data_uri' }
  | { kind: 'error'; code: 'IMAGE_UNREADABLE' | 'IMAGE_TOO_LARGE' | 'IMAGE_FETCH_FAILED'; message: string };

const BASE64_RE = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Longest base64 text (without whitespace) that can decode to at most maxBytes. */
export function maxBase64Length(maxBytes: number): number {
  return Math.ceil(maxBytes / 3) * 4;
}

/** Exact decoded size of clean base64 text (standard or URL-safe, padded or not). */
export function base64DecodedLength(clean: string): number {
  let pad = 0;
  if (clean.endsWith('==')) pad = 2;
  else if (clean.endsWith('=')) pad = 1;
  const body = clean.length - pad;
  return Math.floor((body * 3) / 4);
}

function decodeBase64(text: string, maxBytes: number, source: 'base64' | 'data_uri'): ParsedInput {
  const what = source === 'data_uri' ? 'data URI' : 'image data';
  const limitText = `${Math.round(maxBytes / (1024 * 1024))} MB`;
  // Whitespace (MIME line breaks) is allowed; bound the text before touching it.
  const maxLen = maxBase64Length(maxBytes);
  if (text.length > maxLen + Math.ceil(maxLen / 38) + 16) {
    return { kind: 'error', code: 'IMAGE_TOO_LARGE', message: `the image is larger than the ${limitText} limit` };
  }
  const clean = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (clean.length === 0) return { kind: 'error', code: 'IMAGE_UNREADABLE', message: `the ${what} is empty` };
  if (clean.length > maxLen || base64DecodedLength(clean) > maxBytes) {
    return { kind: 'error', code: 'IMAGE_TOO_LARGE', message: `the image is larger than the ${limitText} limit` };
  }
  if (!BASE64_RE.test(clean) || clean.length % 4 === 1) {
    return {
      kind: 'error',
      code: 'IMAGE_UNREADABLE',
      message: `the ${what} is not valid base64 (expected base64 image data, a data: URI or an http(s) URL)`,
    };
  }
  const urlSafe = clean.includes('-') || clean.includes('_');
  const data = Buffer.from(clean, urlSafe ? 'base64url' : 'base64');
  return { kind: 'bytes', data, source };
}

/**
 * Classifies an image input string: `data:` URI, http(s) URL, or raw base64. Other URL
 * schemes (file:, ftp:, ...) are refused as fetch failures.
 */
export function parseImageInputString(input: string, maxBytes: number): ParsedInput {
  if (typeof input !== 'string') return { kind: 'error', code: 'IMAGE_UNREADABLE', message: 'the image must be a string' };
  const head = input.slice(0, 64).trimStart();
  if (/^data:/i.test(head)) {
    const start = input.length - input.trimStart().length;
    const comma = input.indexOf(',', start);
    if (comma < 0 || comma - start > 256) {
      return { kind: 'error', code: 'IMAGE_UNREADABLE', message: 'the data URI is malformed (no comma before the data)' };
    }
    const header = input.slice(start + 5, comma).toLowerCase();
    if (!header.split(';').includes('base64')) {
      return { kind: 'error', code: 'IMAGE_UNREADABLE', message: 'the data URI must be base64-encoded (data:image/...;base64,...)' };
    }
    return decodeBase64(input.slice(comma + 1), maxBytes, 'data_uri');
  }
  if (/^https?:\/\//i.test(head)) {
    const url = input.trim();
    if (url.length > 8192) return { kind: 'error', code: 'IMAGE_FETCH_FAILED', message: 'the URL is too long' };
    return { kind: 'url', url };
  }
  // Base64 never contains ':', so anything scheme-like is a URL we will not fetch.
  if (/^[a-z][a-z0-9+.\-]{0,31}:/i.test(head)) {
    return { kind: 'error', code: 'IMAGE_FETCH_FAILED', message: 'only http and https URLs are supported' };
  }
  return decodeBase64(input, maxBytes, 'base64');
}
