import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.js';
import { openaiSize, supportsInputFidelity } from '../../src/providers/openai.js';
import { createProviderRegistry, providerConfigFromEnv } from '../../src/providers/registry.js';
import type { ProviderRequest } from '../../src/providers/types.js';
import { closedPortUrl, FAST_RETRY, formData, json, png, sendJson, startStandIn, is } from './standin.js';

function registry(env: Record<string, string | undefined>) {
  return createProviderRegistry({ ...providerConfigFromEnv(env), retry: FAST_RETRY });
}

function request(extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    operation: 'generate',
    prompt: 'a lighthouse',
    images: [],
    width: 864,
    height: 1184,
    aspectRatio: '3:4',
    resolution: '1K',
    quality: null,
    n: 1,
    signal: AbortSignal.timeout(20_000),
    ...extra,
  };
}


test('size fitting and input_fidelity support', () => {
  assert.equal(openaiSize(1024, 1024), '1024x1024');
  assert.equal(openaiSize(1344, 768), '1344x768');
  // 4K 16:9 (5376×3072) exceeds gpt-image-2's 3840 edge / 3840×2160 pixels.
  const [w, h] = openaiSize(5376, 3072).split('x').map(Number);
  assert.ok(w <= 3840 && w * h <= 3840 * 2160 && w % 16 === 0 && h % 16 === 0, `${w}x${h}`);
  assert.ok(Math.abs(w / h - 5376 / 3072) < 0.02);
  assert.equal(supportsInputFidelity('gpt-image-1'), true);
  assert.equal(supportsInputFidelity('gpt-image-1.5'), true);
  assert.equal(supportsInputFidelity('gpt-image-1-mini'), false);
  assert.equal(supportsInputFidelity('gpt-image-2'), false);
});

test('gpt-image-2 generate: JSON body with model, size, quality, n; b64_json decoded', async () => {
  const out = await png(24, 32, [9, 9, 9]);
  const s = await startStandIn((_r, res) => sendJson(res, 200, { created: 1, data: [{ b64_json: out.toString('base64') }, { b64_json: out.toString('base64') }] }));
  try {
    const p = registry({ LIKENESS_OPENAI_API_KEY: 'sk-test', LIKENESS_OPENAI_BASE_URL: `${s.url}/v1` }).get('gpt-image-2')!;
    const result = await p.generate(request({ quality: 'medium', n: 2 }));
    assert.equal(result.images.length, 2);
    assert.deepEqual(result.images[0], { data: out, mimeType: 'image/png' });
    const r = s.received[0];
    assert.equal(r.path, '/v1/images/generations');
    assert.equal(r.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(json(r), { model: 'gpt-image-2', prompt: 'a lighthouse', n: 2, size: '864x1184', quality: 'medium' });
  } finally {
    await s.close();
  }
});

test('gpt-image-2 edit: multipart image[] parts in order, no input_fidelity; 429 then 200 retried with the same body', async () => {
  const out = await png(16, 16, [1, 1, 1]);
  let calls = 0;
  const s = await startStandIn((_r, res) => {
    calls++;
    if (calls === 1) return sendJson(res, 429, { error: { message: 'Rate limit', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after-ms': '1' });
    sendJson(res, 200, { created: 1, data: [{ b64_json: out.toString('base64') }] });
  });
  try {
    const input = await png(32, 32, [255, 0, 0]);
    const ref = await png(16, 16, [0, 0, 255]);
    const p = registry({ LIKENESS_OPENAI_API_KEY: 'sk-test', LIKENESS_OPENAI_BASE_URL: `${s.url}/v1` }).get('gpt-image-2')!;
    const result = await p.generate(
      request({
        operation: 'edit',
        prompt: 'Make the person shown in reference image 2 smile',
        images: [{ data: input, mimeType: 'image/png' }, { data: ref, mimeType: 'image/png' }],
        width: 1024,
        height: 1024,
      }),
    );
    assert.equal(result.images.length, 1);
    assert.equal(s.received.length, 2);
    for (const r of s.received) {
      assert.equal(r.path, '/v1/images/edits');
      assert.match(String(r.headers['content-type']), /^multipart\/form-data; boundary=/);
      const form = await formData(r);
      const files = form.getAll('image[]') as File[];
      assert.equal(files.length, 2);
      assert.deepEqual(Buffer.from(await files[0].arrayBuffer()), input);
      assert.deepEqual(Buffer.from(await files[1].arrayBuffer()), ref);
      assert.equal(form.get('prompt'), 'Make the person shown in reference image 2 smile');
      assert.equal(form.get('size'), '1024x1024');
      assert.equal(form.get('model'), 'gpt-image-2');
      assert.equal(form.get('input_fidelity'), null);
      assert.equal(form.get('quality'), null);
    }
  } finally {
    await s.close();
  }
});

test('gpt-image-1.5 edit sends input_fidelity=high; LocalAI-style url responses are downloaded', async () => {
  const out = await png(16, 16, [5, 5, 5]);
  const s = await startStandIn((r, res) => {
    if (r.path === '/files/out.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(out);
      return;
    }
    sendJson(res, 200, { created: 1, data: [{ url: `http://127.0.0.1:${(s.server.address() as any).port}/files/out.png` }] });
  });
  try {
    const p = registry({ LIKENESS_OPENAI_BASE_URL: `${s.url}/v1`, LIKENESS_OPENAI_MODEL: 'gpt-image-1.5' }).get('gpt-image-2')!;
    assert.equal(p.configured, true); // base URL without key is enough for local servers
    const result = await p.generate(request({ operation: 'edit', images: [{ data: out, mimeType: 'image/png' }] }));
    assert.deepEqual(result.images[0].data, out);
    const form = await formData(s.received[0]);
    assert.equal(form.get('input_fidelity'), 'high');
  } finally {
    await s.close();
  }
});

test('gpt-image-2 failures: moderation_blocked → CONTENT_MODERATION; 500s → 503; bad request → 500', async () => {
  let mode = 'moderation';
  const s = await startStandIn((_r, res) => {
    if (mode === 'moderation')
      return sendJson(res, 400, { error: { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', param: null, code: 'moderation_blocked' } });
    if (mode === 'invalid') return sendJson(res, 400, { error: { message: "Invalid size '7x7'.", type: 'invalid_request_error', param: 'size', code: 'invalid_value' } });
    sendJson(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
  });
  try {
    const p = registry({ LIKENESS_OPENAI_API_KEY: 'sk-test', LIKENESS_OPENAI_BASE_URL: `${s.url}/v1` }).get('gpt-image-2')!;
    await assert.rejects(p.generate(request()), is(400, 'CONTENT_MODERATION'));
    mode = 'invalid';
    await assert.rejects(p.generate(request()), (e: unknown) => is(500, 'INTERNAL_ERROR')(e) && /Invalid size/.test((e as ApiError).detail));
    mode = '500';
    const before = s.received.length;
    await assert.rejects(p.generate(request()), is(503, 'BASE_MODEL_UNAVAILABLE'));
    assert.equal(s.received.length - before, FAST_RETRY.maxAttempts);
  } finally {
    await s.close();
  }
});

test('gpt-image-2: connection refused and unconfigured → 503', async () => {
  const dead = await closedPortUrl();
  await assert.rejects(registry({ LIKENESS_OPENAI_API_KEY: 'k', LIKENESS_OPENAI_BASE_URL: `${dead}/v1` }).get('gpt-image-2')!.generate(request()), is(503, 'BASE_MODEL_UNAVAILABLE'));
  const p = registry({}).get('gpt-image-2')!;
  assert.equal(p.configured, false);
  await assert.rejects(p.generate(request()), is(503, 'BASE_MODEL_UNAVAILABLE'));
});
