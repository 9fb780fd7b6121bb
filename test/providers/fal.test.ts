import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createProviderRegistry, providerConfigFromEnv } from '../../src/providers/registry.js';
import type { ProviderRequest } from '../../src/providers/types.js';
import { closedPortUrl, FAST_RETRY, json, png, sendJson, startStandIn, type Received, is } from './standin.js';

function registry(env: Record<string, string | undefined>) {
  const c = providerConfigFromEnv(env);
  return createProviderRegistry({ ...c, fal: { ...c.fal, pollIntervalMs: 5 }, retry: FAST_RETRY });
}

function request(extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    operation: 'edit',
    prompt: 'p',
    images: [],
    width: 1184,
    height: 864,
    aspectRatio: '4:3',
    resolution: '1K',
    quality: null,
    n: 1,
    signal: AbortSignal.timeout(20_000),
    ...extra,
  };
}


interface QueueBehaviour {
  submit?: (r: Received, res: ServerResponse) => boolean; // true = handled
  result?: (res: ServerResponse) => boolean;
  output: Buffer;
}

/** fal's queue protocol: submit → request_id; GET …/requests/{id}/status; GET …/requests/{id}. */
async function falQueue(b: QueueBehaviour) {
  let polls = 0;
  const s = await startStandIn((r, res) => {
    const base = `http://127.0.0.1:${(s.server.address() as any).port}`;
    if (r.path === '/files/out.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(b.output);
      return;
    }
    const status = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)\/status$/.exec(r.path);
    if (status && r.method === 'GET') {
      polls++;
      return sendJson(res, 202, polls < 2 ? { status: 'IN_QUEUE', queue_position: 0, request_id: status[2] } : { status: 'COMPLETED', request_id: status[2], logs: [] });
    }
    const result = /^\/([^/]+\/[^/]+)\/requests\/([^/]+)$/.exec(r.path);
    if (result && r.method === 'GET') {
      if (b.result?.(res)) return;
      return sendJson(res, 200, {
        images: [{ url: `${base}/files/out.png`, content_type: 'image/png', width: 16, height: 12 }, { url: `data:image/png;base64,${b.output.toString('base64')}` }],
        has_nsfw_concepts: [false, false],
        seed: 1,
      });
    }
    if (r.method === 'POST') {
      if (b.submit?.(r, res)) return;
      const app = r.path.split('/').slice(1, 3).join('/');
      return sendJson(res, 200, {
        request_id: 'req-1',
        status_url: `${base}/${app}/requests/req-1/status`,
        response_url: `${base}/${app}/requests/req-1`,
        cancel_url: `${base}/${app}/requests/req-1/cancel`,
        queue_position: 0,
      });
    }
    sendJson(res, 404, { detail: 'not found' });
  });
  return s;
}

test('flux-2 edit: queue submit with Key auth, image_urls in order, image_size; polls and fetches results', async () => {
  const output = await png(16, 12, [7, 7, 7]);
  const s = await falQueue({ output });
  try {
    const input = await png(20, 20, [255, 0, 0]);
    const ref = await png(10, 10, [0, 255, 0]);
    const p = registry({ LIKENESS_FAL_KEY: 'fal-key', LIKENESS_FAL_BASE_URL: s.url }).get('flux-2')!;
    const result = await p.generate(
      request({
        prompt: 'Make the person shown in reference image 2 wave',
        images: [{ data: input, mimeType: 'image/png' }, { data: ref, mimeType: 'image/png' }],
        n: 2,
        seed: 42,
      }),
    );
    assert.equal(result.images.length, 2);
    assert.deepEqual(result.images.map((i) => i.data), [output, output]);
    const submit = s.received[0];
    assert.equal(submit.method, 'POST');
    assert.equal(submit.path, '/fal-ai/flux-2/edit');
    assert.equal(submit.headers.authorization, 'Key fal-key');
    const body = json(submit);
    assert.equal(body.prompt, 'Make the person shown in reference image 2 wave');
    assert.deepEqual(body.image_urls, [`data:image/png;base64,${input.toString('base64')}`, `data:image/png;base64,${ref.toString('base64')}`]);
    assert.deepEqual(body.image_size, { width: 1184, height: 864 });
    assert.equal(body.num_images, 2);
    assert.equal(body.seed, 42);
    const paths = s.received.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.includes('GET /fal-ai/flux-2/requests/req-1/status'));
    assert.ok(paths.includes('GET /fal-ai/flux-2/requests/req-1'));
    assert.ok(s.received.filter((r) => r.path.endsWith('/status')).length >= 2); // IN_QUEUE, then COMPLETED
    for (const r of s.received.filter((r) => r.path.startsWith('/fal-ai'))) assert.equal(r.headers.authorization, 'Key fal-key');
  } finally {
    await s.close();
  }
});

test('generate uses the text-to-image endpoint; reve sends aspect_ratio; endpoints are configurable', async () => {
  const output = await png(8, 8, [1, 1, 1]);
  const s = await falQueue({ output });
  try {
    const reg = registry({
      LIKENESS_FAL_KEY: 'k',
      LIKENESS_FAL_BASE_URL: s.url,
      LIKENESS_FAL_ENDPOINTS: JSON.stringify({ 'qwen-image-2': { generate: 'acme/qwen-t2i', edit: 'acme/qwen-edit' } }),
    });
    await reg.get('qwen-image-2')!.generate(request({ operation: 'generate' }));
    assert.equal(s.received[0].path, '/acme/qwen-t2i');
    await reg.get('reve')!.generate(request({ operation: 'generate', aspectRatio: '9:16' }));
    const reve = s.received.find((r) => r.path === '/fal-ai/reve/text-to-image')!;
    assert.equal(json(reve).aspect_ratio, '9:16');
    assert.equal(json(reve).image_size, undefined);
  } finally {
    await s.close();
  }
});

test('fal failures: 429 on submit retried; content_policy_violation and NSFW flags → CONTENT_MODERATION; 500s → 503', async () => {
  const output = await png(8, 8, [1, 1, 1]);
  let submitCalls = 0;
  let mode = 'ok';
  const s = await falQueue({
    output,
    submit: (_r, res) => {
      submitCalls++;
      if (submitCalls === 1) {
        sendJson(res, 429, { detail: 'Too many requests' }, { 'retry-after': '0' });
        return true;
      }
      return false;
    },
    result: (res) => {
      if (mode === 'policy') {
        sendJson(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation', url: 'https://docs.fal.ai/errors#content_policy_violation' }] });
        return true;
      }
      if (mode === 'nsfw') {
        sendJson(res, 200, { images: [{ url: `data:image/png;base64,${output.toString('base64')}` }], has_nsfw_concepts: [true] });
        return true;
      }
      if (mode === '500') {
        sendJson(res, 500, { detail: 'Internal server error' });
        return true;
      }
      return false;
    },
  });
  try {
    const p = registry({ LIKENESS_FAL_KEY: 'k', LIKENESS_FAL_BASE_URL: s.url }).get('flux-2')!;
    const ok = await p.generate(request({ operation: 'generate' }));
    assert.equal(ok.images.length, 2);
    assert.equal(submitCalls, 2);
    mode = 'policy';
    await assert.rejects(p.generate(request({ operation: 'generate' })), is(400, 'CONTENT_MODERATION'));
    mode = 'nsfw';
    await assert.rejects(p.generate(request({ operation: 'generate' })), is(400, 'CONTENT_MODERATION'));
    mode = '500';
    const before = s.received.filter((r) => r.path === '/fal-ai/flux-2/requests/req-1').length;
    await assert.rejects(p.generate(request({ operation: 'generate' })), is(503, 'BASE_MODEL_UNAVAILABLE'));
    assert.equal(s.received.filter((r) => r.path === '/fal-ai/flux-2/requests/req-1').length - before, FAST_RETRY.maxAttempts);
  } finally {
    await s.close();
  }
});

test('fal: connection refused and missing key → 503', async () => {
  const dead = await closedPortUrl();
  await assert.rejects(registry({ LIKENESS_FAL_KEY: 'k', LIKENESS_FAL_BASE_URL: dead }).get('flux-2')!.generate(request({ operation: 'generate' })), is(503, 'BASE_MODEL_UNAVAILABLE'));
  const p = registry({}).get('reve')!;
  assert.equal(p.configured, false);
  await assert.rejects(p.generate(request({ operation: 'generate' })), is(503, 'BASE_MODEL_UNAVAILABLE'));
});
