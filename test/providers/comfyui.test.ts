import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../../src/errors.js';
import { comfyCapabilities, fillWorkflow, parseWorkflow } from '../../src/providers/comfyui-workflow.js';
import { createProviderRegistry, providerConfigFromEnv } from '../../src/providers/registry.js';
import type { ProviderRequest } from '../../src/providers/types.js';
import { closedPortUrl, FAST_RETRY, formData, json, png, sendJson, startStandIn, is } from './standin.js';

const FLUX = 'providers/comfyui/workflows/flux.json';
const PULID = 'providers/comfyui/workflows/flux-pulid.json';

function registry(url: string | undefined, workflows: Record<string, string>) {
  const c = providerConfigFromEnv({ LIKENESS_COMFYUI_URL: url, LIKENESS_COMFYUI_WORKFLOWS: JSON.stringify(workflows) });
  return createProviderRegistry({ ...c, comfyui: { ...c.comfyui, pollIntervalMs: 5 }, retry: FAST_RETRY });
}

function request(extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    operation: 'generate',
    prompt: 'the person shown in reference image 1 as an astronaut',
    images: [],
    width: 1024,
    height: 1024,
    aspectRatio: '1:1',
    resolution: '1K',
    quality: null,
    n: 1,
    seed: 7,
    signal: AbortSignal.timeout(20_000),
    ...extra,
  };
}


test('shipped workflows parse; placeholders fill with typed values', () => {
  const flux = parseWorkflow(JSON.parse(readFileSync(FLUX, 'utf8')), FLUX);
  assert.deepEqual([flux.slots.inputImages, flux.slots.referenceImages], [0, 0]);
  assert.deepEqual(comfyCapabilities('flux-2', flux.slots).operations, ['generate']);
  const pulid = parseWorkflow(JSON.parse(readFileSync(PULID, 'utf8')), PULID);
  assert.deepEqual([pulid.slots.inputImages, pulid.slots.referenceImages], [0, 1]);
  assert.equal(comfyCapabilities('flux-2', pulid.slots).maxInputImages, 1);
  const filled = fillWorkflow(pulid.workflow, { prompt: 'say "hi"', width: 864, height: 1184, seed: 3, inputImages: [], referenceImages: ['ref.png'] });
  assert.equal(filled['4'].inputs.text, 'say "hi"');
  assert.equal(filled['7'].inputs.width, 864);
  assert.equal(filled['7'].inputs.batch_size, 1);
  assert.equal(filled['8'].inputs.seed, 3);
  assert.equal(filled['14'].inputs.image, 'ref.png');
  assert.throws(() => fillWorkflow(pulid.workflow, { prompt: '', width: 1, height: 1, seed: 1, inputImages: [], referenceImages: [] }), /needs 1 reference image/);
  assert.throws(() => parseWorkflow({ '1': { class_type: 'X', inputs: { a: '{{bogus}}' } } }, 'w'), /unknown template slot/);
  assert.throws(() => parseWorkflow({ nodes: [], links: [] }, 'w'), /Save \(API Format\)/);
});

/** ComfyUI's protocol: /upload/image, /prompt, /ws?clientId events, /history/{id}, /view. */
async function comfyStandIn(output: Buffer, opts: { fail?: 'execution' | 'prompt500' } = {}) {
  const sockets = new Map<string, WebSocket>();
  const batches = new Map<string, number>();
  let n = 0;
  const s = await startStandIn(async (r, res) => {
    if (r.method === 'POST' && r.path === '/upload/image') {
      const form = await formData(r);
      const file = form.get('image') as File;
      return sendJson(res, 200, { name: file.name, subfolder: '', type: String(form.get('type')) });
    }
    if (r.method === 'POST' && r.path === '/prompt') {
      if (opts.fail === 'prompt500') return sendJson(res, 500, { error: 'oops' });
      const body = json(r);
      const id = `prompt-${++n}`;
      // Like ComfyUI, a batched latent yields one saved image per batch item.
      const latent = Object.values(body.prompt as Record<string, any>).find((x) => x.class_type === 'EmptySD3LatentImage');
      batches.set(id, Number(latent?.inputs.batch_size ?? 1));
      sendJson(res, 200, { prompt_id: id, number: n, node_errors: {} });
      const ws = sockets.get(body.client_id);
      const send = (type: string, data: object) => ws?.send(JSON.stringify({ type, data }));
      setTimeout(() => {
        send('execution_start', { prompt_id: id });
        send('executing', { node: '8', display_node: '8', prompt_id: id });
        send('progress', { value: 1, max: 20, prompt_id: id, node: '8' });
        ws?.send(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2])); // a binary preview frame
        if (opts.fail === 'execution') {
          send('execution_error', { prompt_id: id, node_id: '15', node_type: 'ApplyPulidFlux', exception_message: 'No face detected', exception_type: 'Exception', traceback: [] });
          return;
        }
        send('executed', { node: '10', output: { images: [{ filename: `likeness_${n}.png`, subfolder: '', type: 'output' }] }, prompt_id: id });
        send('executing', { node: null, prompt_id: id });
      }, 5);
      return;
    }
    const hist = /^\/history\/(.+)$/.exec(r.path);
    if (hist) {
      const id = hist[1];
      const images = Array.from({ length: batches.get(id) ?? 0 }, (_, i) => ({ filename: `likeness_${id}_${i}.png`, subfolder: '', type: 'output' }));
      return sendJson(res, 200, {
        [id]: {
          prompt: [],
          outputs: { '10': { images }, '99': { images: [{ filename: 'preview.png', subfolder: '', type: 'temp' }] } },
          status: { status_str: 'success', completed: true, messages: [] },
        },
      });
    }
    if (r.path === '/view') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(output);
      return;
    }
    sendJson(res, 404, {});
  });
  const wss = new WebSocketServer({ server: s.server, path: '/ws' });
  const wsQueries: string[] = [];
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '', 'http://x').searchParams.get('clientId') ?? '';
    wsQueries.push(id);
    sockets.set(id, ws);
    ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: id } }));
  });
  return {
    ...s,
    wsQueries,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await s.close();
    },
  };
}

test('comfyui (FLUX + PuLID): uploads the reference, queues the filled workflow, follows the socket, downloads outputs', async () => {
  const output = await png(32, 32, [4, 5, 6]);
  const s = await comfyStandIn(output);
  try {
    const p = registry(s.url, { 'flux-2': PULID }).get('flux-2')!;
    assert.deepEqual(p.capabilities.operations, ['generate']);
    const ref = await png(16, 16, [0, 0, 255]);
    const result = await p.generate(request({ images: [{ data: ref, mimeType: 'image/png' }], n: 2, width: 864, height: 1184 }));
    assert.deepEqual(result.images.map((i) => i.data), [output, output]);

    const uploads = s.received.filter((r) => r.path === '/upload/image');
    assert.equal(uploads.length, 1);
    const form = await formData(uploads[0]);
    assert.deepEqual(Buffer.from(await (form.get('image') as File).arrayBuffer()), ref);
    const uploadedName = (form.get('image') as File).name;

    const prompts = s.received.filter((r) => r.path === '/prompt').map(json);
    assert.equal(prompts.length, 1); // {{batch_size}} → one batched prompt for both candidates
    const { prompt, client_id } = prompts[0];
    assert.equal(client_id, s.wsQueries[0]); // the socket was opened with the same clientId
    assert.equal(prompt['14'].class_type, 'LoadImage');
    assert.equal(prompt['14'].inputs.image, uploadedName);
    assert.equal(prompt['4'].inputs.text, 'the person shown in reference image 1 as an astronaut');
    assert.deepEqual([prompt['7'].inputs.width, prompt['7'].inputs.height, prompt['7'].inputs.batch_size], [864, 1184, 2]);
    assert.equal(prompt['8'].inputs.seed, 7);
    assert.equal(prompt['15'].class_type, 'ApplyPulidFlux');
    const views = s.received.filter((r) => r.path === '/view');
    assert.deepEqual(views.map((v) => v.query.get('type')), ['output', 'output']); // previews skipped
    assert.equal(views[0].query.get('filename'), 'likeness_prompt-1_0.png');
  } finally {
    await s.close();
  }
});

test('comfyui: any id can be served; a workflow without {{batch_size}} runs once per candidate', async () => {
  const output = await png(8, 8, [1, 1, 1]);
  const s = await comfyStandIn(output);
  try {
    const noBatch = JSON.parse(readFileSync(FLUX, 'utf8'));
    noBatch['7'].inputs.batch_size = 1;
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'likeness-wf-')), 'sdxl.json');
    writeFileSync(file, JSON.stringify(noBatch));
    const reg = registry(s.url, { 'my-flux': file });
    const p = reg.get('my-flux')!;
    assert.ok(reg.list().some((m) => m.capabilities.id === 'my-flux' && m.configured));
    const result = await p.generate(request({ prompt: 'a red bicycle', n: 3, seed: 100 }));
    assert.equal(result.images.length, 3);
    const seeds = s.received.filter((r) => r.path === '/prompt').map((r) => json(r).prompt['8'].inputs.seed);
    assert.deepEqual(seeds, [100, 101, 102]);
    assert.equal(s.received.filter((r) => r.path === '/upload/image').length, 0);
  } finally {
    await s.close();
  }
});

test('comfyui failures: execution_error → 500; /prompt 500s → 503; missing reference → 400; refused / unconfigured → 503', async () => {
  const output = await png(8, 8, [1, 1, 1]);
  const ref = { data: output, mimeType: 'image/png' };
  const bad = await comfyStandIn(output, { fail: 'execution' });
  try {
    const p = registry(bad.url, { 'flux-2': PULID }).get('flux-2')!;
    await assert.rejects(p.generate(request({ images: [ref] })), (e: unknown) => is(500, 'INTERNAL_ERROR')(e) && /No face detected/.test((e as ApiError).detail));
    await assert.rejects(p.generate(request({ images: [] })), (e: unknown) => is(400, 'INVALID_REQUEST')(e) && /reference image/.test((e as ApiError).detail));
  } finally {
    await bad.close();
  }
  const down = await comfyStandIn(output, { fail: 'prompt500' });
  try {
    await assert.rejects(registry(down.url, { 'flux-2': PULID }).get('flux-2')!.generate(request({ images: [ref] })), is(503, 'BASE_MODEL_UNAVAILABLE'));
    assert.equal(down.received.filter((r) => r.path === '/prompt').length, FAST_RETRY.maxAttempts);
  } finally {
    await down.close();
  }
  const dead = await closedPortUrl();
  await assert.rejects(registry(dead, { 'flux-2': PULID }).get('flux-2')!.generate(request({ images: [ref] })), is(503, 'BASE_MODEL_UNAVAILABLE'));
  const p = registry(undefined, { 'flux-2': PULID }).get('flux-2')!;
  assert.equal(p.configured, false);
  await assert.rejects(p.generate(request({ images: [ref] })), is(503, 'BASE_MODEL_UNAVAILABLE'));
});
