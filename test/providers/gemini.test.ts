import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors.js';
import { createProviderRegistry, providerConfigFromEnv } from '../../src/providers/registry.js';
import type { ProviderRequest } from '../../src/providers/types.js';
import { planReferences, rewritePrompt } from '../../src/studio/prompt.js';
import { closedPortUrl, FAST_RETRY, json, png, sendJson, startStandIn, type Received, is } from './standin.js';

const MODEL = 'gemini-3.1-flash-image-preview';

function registryFor(baseUrl: string, key: string | null = 'g-key') {
  const config = providerConfigFromEnv({ LIKENESS_GEMINI_API_KEY: key ?? undefined, LIKENESS_GEMINI_BASE_URL: baseUrl });
  return createProviderRegistry({ ...config, retry: FAST_RETRY });
}

function request(images: ProviderRequest['images'], prompt: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    operation: 'edit',
    prompt,
    images,
    width: 1344,
    height: 768,
    aspectRatio: '16:9',
    resolution: '2K',
    quality: null,
    n: 1,
    signal: AbortSignal.timeout(20_000),
    ...extra,
  };
}

test('nb2: generateContent with labelled inlineData parts, rewritten prompt, imageConfig', async () => {
  const out = await png(64, 36, [10, 200, 30]);
  const s = await startStandIn((_r, res) =>
    sendJson(res, 200, { candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: out.toString('base64') } }] }, finishReason: 'STOP' }] }),
  );
  try {
    const input = await png(32, 32, [255, 0, 0]);
    const refsA = [await png(16, 16, [0, 0, 255]), await png(16, 16, [0, 0, 254])];
    const refB = await png(16, 16, [0, 255, 0]);
    // The identity layer's plan: 1 input, then A's two photos, then B's one.
    const plan = planReferences({ inputImageCount: 1, profiles: [{ id: 'aaa', referenceCount: 2 }, { id: 'bbb', referenceCount: 1 }], maxInputImages: 14 });
    const refs = plan.attachments.map((a) => (a.profileId === 'aaa' ? refsA[a.referenceIndex] : refB));
    const prompt = rewritePrompt('Put [[aaa]] next to [[bbb]] on a beach', plan.refToImageIndex);
    const images = [input, ...refs].map((data) => ({ data, mimeType: 'image/png' }));

    const provider = registryFor(s.url).get('nb2')!;
    assert.equal(provider.configured, true);
    const result = await provider.generate(request(images, prompt));
    assert.equal(result.images.length, 1);
    assert.deepEqual(result.images[0].data, out);

    const r = s.received[0] as Received;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, `/v1beta/models/${MODEL}:generateContent`);
    assert.equal(r.headers['x-goog-api-key'], 'g-key');
    const body = json(r);
    const parts = body.contents[0].parts;
    assert.deepEqual(
      parts.filter((p: any) => p.text !== undefined).map((p: any) => p.text),
      ['Input image 1:', 'Reference image 2:', 'Reference image 3:', 'Reference image 4:', 'Put the person shown in reference images 2 and 3 next to the person shown in reference image 4 on a beach'],
    );
    const sent = parts.filter((p: any) => p.inlineData).map((p: any) => Buffer.from(p.inlineData.data, 'base64'));
    assert.deepEqual(sent, [input, refsA[0], refsA[1], refB]);
    assert.deepEqual(body.generationConfig.responseModalities, ['IMAGE']);
    assert.deepEqual(body.generationConfig.imageConfig, { aspectRatio: '16:9', imageSize: '2K' });
  } finally {
    await s.close();
  }
});

test('nb2: n candidates = n calls; 429 then 200 is retried', async () => {
  const out = await png(8, 8, [1, 2, 3]);
  let calls = 0;
  const s = await startStandIn((_r, res) => {
    calls++;
    if (calls === 1) return sendJson(res, 429, { error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } }, { 'retry-after': '0' });
    sendJson(res, 200, { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: out.toString('base64') } }] } }] });
  });
  try {
    const result = await registryFor(s.url).get('nb2')!.generate(request([], 'a cat', { operation: 'generate', n: 2 }));
    assert.equal(result.images.length, 2);
    assert.equal(s.received.length, 3);
  } finally {
    await s.close();
  }
});

test('nb2: refusals map to CONTENT_MODERATION, failures to clean errors', async () => {
  let mode = 'blocked';
  const s = await startStandIn((_r, res) => {
    if (mode === 'blocked') return sendJson(res, 200, { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } });
    if (mode === 'finish') return sendJson(res, 200, { candidates: [{ content: { parts: [] }, finishReason: 'IMAGE_SAFETY' }] });
    if (mode === 'text') return sendJson(res, 200, { candidates: [{ content: { parts: [{ text: 'Here is a poem instead' }] }, finishReason: 'STOP' }] });
    if (mode === 'auth') return sendJson(res, 403, { error: { code: 403, message: 'API key not valid', status: 'PERMISSION_DENIED' } });
    sendJson(res, 500, { error: { code: 500, message: 'internal', status: 'INTERNAL' } });
  });
  try {
    const p = registryFor(s.url).get('nb2')!;
    const run = () => p.generate(request([], 'x', { operation: 'generate' }));
        await assert.rejects(run(), is(400, 'CONTENT_MODERATION'));
    mode = 'finish';
    await assert.rejects(run(), is(400, 'CONTENT_MODERATION'));
    mode = 'text';
    await assert.rejects(run(), (e: unknown) => is(500, 'INTERNAL_ERROR')(e) && /no image/.test((e as ApiError).detail));
    mode = 'auth';
    await assert.rejects(run(), is(503, 'BASE_MODEL_UNAVAILABLE'));
    mode = '500';
    const before = s.received.length;
    await assert.rejects(run(), is(503, 'BASE_MODEL_UNAVAILABLE'));
    assert.equal(s.received.length - before, FAST_RETRY.maxAttempts);
  } finally {
    await s.close();
  }
});

test('nb2: connection refused and missing key → 503 BASE_MODEL_UNAVAILABLE', async () => {
  const dead = await closedPortUrl();
  const is503 = (e: unknown) => e instanceof ApiError && e.status === 503 && e.code === 'BASE_MODEL_UNAVAILABLE';
  await assert.rejects(registryFor(dead).get('nb2')!.generate(request([], 'x', { operation: 'generate' })), is503);
  const unconfigured = registryFor(dead, null).get('nb2')!;
  assert.equal(unconfigured.configured, false);
  await assert.rejects(unconfigured.generate(request([], 'x', { operation: 'generate' })), is503);
});

test('nb-pro alias uses the Pro model name', async () => {
  const out = await png(8, 8, [1, 2, 3]);
  const s = await startStandIn((_r, res) => sendJson(res, 200, { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: out.toString('base64') } }] } }] }));
  try {
    await registryFor(s.url).get('nb-pro')!.generate(request([], 'x', { operation: 'generate' }));
    assert.equal(s.received[0].path, '/v1beta/models/gemini-3-pro-image-preview:generateContent');
  } finally {
    await s.close();
  }
});
