// The Grafana dashboard only charts series this process really exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { registry } from '../../src/metrics/registry.js';

test('every likeness_ series in docs/grafana/likeness-dashboard.json is exported', async () => {
  const dash = JSON.parse(await readFile(new URL('../../../docs/grafana/likeness-dashboard.json', import.meta.url), 'utf8'));
  const exported = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    exported.add(m.name);
    if (m.type === ('histogram' as unknown as typeof m.type)) for (const s of ['_bucket', '_sum', '_count']) exported.add(m.name + s);
  }
  const used = new Set<string>();
  for (const p of dash.panels) for (const t of p.targets) for (const m of String(t.expr).matchAll(/likeness_\w+/g)) used.add(m[0]);
  assert.ok(used.size >= 15);
  for (const name of used) assert.ok(exported.has(name), `${name} is charted but not exported`);
  // And the series the issue names are all charted.
  for (const name of ['likeness_http_requests_total', 'likeness_queue_depth', 'likeness_queue_wait_seconds_bucket', 'likeness_training_duration_seconds_bucket',
    'likeness_training_photos_total', 'likeness_studio_outputs_total', 'likeness_provider_request_duration_seconds_bucket', 'likeness_provider_errors_total',
    'likeness_identity_similarity_bucket', 'likeness_worker_busy_seconds_total', 'likeness_callback_deliveries_total']) {
    assert.ok(used.has(name), `${name} is not on the dashboard`);
  }
});
