import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProviderRegistry, providerConfigFromEnv, DEFAULT_GEMINI_MODEL } from '../../src/providers/registry.js';

test('providerConfigFromEnv: defaults and values', () => {
  const c = providerConfigFromEnv({ LIKENESS_OPENAI_BASE_URL: 'http://localhost:8080/v1/', LIKENESS_PROVIDER_MAX_ATTEMPTS: '2' });
  assert.equal(c.gemini.model, DEFAULT_GEMINI_MODEL);
  assert.equal(c.openai.model, 'gpt-image-2');
  assert.equal(c.openai.baseUrl, 'http://localhost:8080/v1');
  assert.equal(c.retry.maxAttempts, 2);
  assert.equal(c.fal.endpoints['flux-2'].edit, 'fal-ai/flux-2/edit');
});

test('providerConfigFromEnv: clear errors on bad values', () => {
  assert.throws(() => providerConfigFromEnv({ LIKENESS_COMFYUI_WORKFLOWS: '{not json' }), /LIKENESS_COMFYUI_WORKFLOWS is not valid JSON/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_COMFYUI_WORKFLOWS: '["a"]' }), /LIKENESS_COMFYUI_WORKFLOWS must be a JSON object/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_COMFYUI_WORKFLOWS: '{"flux-2": 3}' }), /LIKENESS_COMFYUI_WORKFLOWS.flux-2 must be a workflow file path/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_GEMINI_BASE_URL: 'ftp://x' }), /LIKENESS_GEMINI_BASE_URL must be an http\(s\) URL/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_COMFYUI_URL: 'localhost:8188' }), /LIKENESS_COMFYUI_URL/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_FAL_ENDPOINTS: '{"reve": {"edit": "x"}}' }), /LIKENESS_FAL_ENDPOINTS.reve/);
  assert.throws(() => providerConfigFromEnv({ LIKENESS_PROVIDER_MAX_ATTEMPTS: '0' }), /LIKENESS_PROVIDER_MAX_ATTEMPTS/);
});

test('createProviderRegistry: every contract id, configured flags, missing workflow file', () => {
  const reg = createProviderRegistry(providerConfigFromEnv({ LIKENESS_OPENAI_API_KEY: 'k' }));
  const list = reg.list();
  for (const id of ['flux-2', 'gpt-image-2', 'nb2', 'qwen-image-2', 'reve', 'nb-pro']) assert.ok(reg.get(id), id);
  assert.equal(reg.get('dall-e'), undefined);
  assert.deepEqual(list.filter((m) => m.configured).map((m) => m.capabilities.id), ['gpt-image-2']);
  assert.throws(
    () => createProviderRegistry(providerConfigFromEnv({ LIKENESS_COMFYUI_WORKFLOWS: '{"flux-2": "/nonexistent/wf.json"}' })),
    /LIKENESS_COMFYUI_WORKFLOWS.flux-2: cannot read workflow/,
  );
  // A ComfyUI workflow takes an id over and narrows its capabilities.
  const comfy = createProviderRegistry(
    providerConfigFromEnv({ LIKENESS_COMFYUI_URL: 'http://127.0.0.1:1', LIKENESS_COMFYUI_WORKFLOWS: '{"flux-2": "providers/comfyui/workflows/flux.json"}' }),
  );
  assert.deepEqual(comfy.get('flux-2')!.capabilities.operations, ['generate']);
  assert.equal(comfy.get('flux-2')!.configured, true);
});
