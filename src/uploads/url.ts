// Upload URLs (decisions.md "Local uploads"): `<base>/v1/phota/uploads/<id>.<ext>?expires=&token=`,
// signed like output files (blobs/signed-url.ts). Pure. A URL is one of ours only when its
// signature checks out with our key: the host does not matter (proxies, LIKENESS_PUBLIC_URL),
// and another server's look-alike URL stays an ordinary URL that is fetched.
import { signFileUrl, verifyFileUrl } from '../blobs/signed-url.js';

export const UPLOAD_PATH_RE = /^\/v1\/phota\/uploads\/(upl_[a-z0-9]{24})\.(jpg|png)$/;

export const uploadPath = (id: string, ext: 'jpg' | 'png') => `/v1/phota/uploads/${id}.${ext}`;

export function signUploadUrl(baseUrl: string, id: string, ext: 'jpg' | 'png', expiresAtMs: number, secret: string): string {
  return baseUrl + signFileUrl(uploadPath(id, ext), Math.floor(expiresAtMs / 1000), secret);
}

export type UploadUrlCheck = { kind: 'not_upload' } | { kind: 'expired' | 'ok'; id: string };

/** Classifies an image input URL: one of our uploads (valid or expired), or anything else. Never throws. */
export function checkUploadUrl(raw: string, secret: string, nowMs: number): UploadUrlCheck {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { kind: 'not_upload' };
  }
  const m = UPLOAD_PATH_RE.exec(u.pathname);
  if (!m) return { kind: 'not_upload' };
  const q = { expires: u.searchParams.get('expires') ?? undefined, token: u.searchParams.get('token') ?? undefined };
  const check = verifyFileUrl(u.pathname, q, secret, Math.floor(nowMs / 1000));
  if (check === 'invalid') return { kind: 'not_upload' };
  return { kind: check, id: m[1] };
}
