// Reads the Prometheus text format just enough for tests: one entry per sample line.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseSeries(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `want` (undefined when there are none). */
export function sample(all: Sample[], name: string, want: Record<string, string>): number | undefined {
  const hits = all.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
  return hits.length ? hits.reduce((a, s) => a + s.value, 0) : undefined;
}
