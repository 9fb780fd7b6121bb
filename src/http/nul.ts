// NUL characters (U+0000) in request strings. PostgreSQL text cannot hold them (the driver's
// insert or lookup fails, which would be a 500), so they are refused at the edge on every store
// alike. Pure.

/** Where the first string containing U+0000 sits in a parsed JSON value (iterative: bodies nest deep). */
export function findNul(value: unknown): Array<string | number> | undefined {
  const stack: Array<{ v: unknown; path: Array<string | number> }> = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        if (k.includes('\u0000')) return [...path, k];
        stack.push({ v: x, path: [...path, k] });
      }
    }
  }
  return undefined;
}

/** JSON text can only carry U+0000 as an escape: most bodies are cleared without a walk. */
export const mayHoldNul = (jsonText: string): boolean => /\\u0000/i.test(jsonText);

export const NUL_MESSAGE = 'String should not contain NUL (\\u0000) characters';
