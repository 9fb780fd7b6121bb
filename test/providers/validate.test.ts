import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.js';
import { CAPABILITIES, capabilitiesFor } from '../../src/providers/capabilities.js';
import { callsNeeded, checkCapabilities } from '../../src/providers/validate.js';

const code = (c: string) => (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === c;

test('resolutions per model as in the contract', () => {
  const ok = (id: string, r: '1K' | '2K' | '4K') => checkCapabilities(CAPABILITIES[id], { operation: 'generate', resolution: r });
  for (const id of ['nb2', 'gpt-image-2']) for (const r of ['1K', '2K', '4K'] as const) ok(id, r);
  for (const id of ['qwen-image-2', 'flux-2']) {
    ok(id, '1K');
    ok(id, '2K');
    assert.throws(() => ok(id, '4K'), code('UNSUPPORTED_RESOLUTION'));
  }
  ok('reve', '1K');
  assert.throws(() => ok('reve', '2K'), code('UNSUPPORTED_RESOLUTION'));
});

test('quality only for gpt-image-2; null/undefined means not sent', () => {
  checkCapabilities(CAPABILITIES['gpt-image-2'], { operation: 'edit', quality: 'high' });
  checkCapabilities(CAPABILITIES['gpt-image-2'], { operation: 'edit', quality: 'auto' });
  checkCapabilities(CAPABILITIES.nb2, { operation: 'edit', quality: null });
  checkCapabilities(CAPABILITIES.nb2, { operation: 'edit' });
  for (const id of ['nb2', 'flux-2', 'qwen-image-2', 'reve']) {
    assert.throws(() => checkCapabilities(CAPABILITIES[id], { operation: 'edit', quality: 'auto' }), code('UNSUPPORTED_QUALITY'));
  }
});

test('operations: enhance and remix are pinned to Nano Banana', () => {
  checkCapabilities(CAPABILITIES.nb2, { operation: 'remix' });
  checkCapabilities(CAPABILITIES.nb2, { operation: 'enhance' });
  for (const id of ['gpt-image-2', 'flux-2', 'qwen-image-2', 'reve']) {
    assert.throws(() => checkCapabilities(CAPABILITIES[id], { operation: 'remix' }), code('UNSUPPORTED_OPERATION'));
  }
  // The operation is checked first.
  assert.throws(() => checkCapabilities(CAPABILITIES.reve, { operation: 'enhance', resolution: '4K', quality: 'high' }), code('UNSUPPORTED_OPERATION'));
});

test('capabilitiesFor returns copies and a default for custom ids', () => {
  const a = capabilitiesFor('nb2');
  a.resolutions.pop();
  assert.deepEqual(CAPABILITIES.nb2.resolutions, ['1K', '2K', '4K']);
  assert.equal(capabilitiesFor('my-sdxl').id, 'my-sdxl');
});

test('callsNeeded splits candidates by the per-call limit', () => {
  assert.deepEqual(callsNeeded(CAPABILITIES.nb2, 3), [1, 1, 1]);
  assert.deepEqual(callsNeeded(CAPABILITIES['gpt-image-2'], 4), [4]);
  assert.deepEqual(callsNeeded({ ...CAPABILITIES['gpt-image-2'], maxOutputsPerCall: 3 }, 4), [3, 1]);
});
