// Opaque pagination cursor for newest-first listings: the (createdAt, id) of the last row
// returned, base64url-encoded. Pure.

export interface CursorPosition {
  createdAt: number;
  id: string;
}

export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), 'utf8').toString('base64url');
}

/** Returns undefined for anything that is not a cursor this module produced. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [createdAt, id] = v as unknown[];
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || typeof id !== 'string' || id.length === 0) {
      return undefined;
    }
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
