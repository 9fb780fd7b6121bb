// Maps each `base_model` id to a configured adapter. Configuration comes from LIKENESS_*
// variables (parsed and validated once by providerConfigFromEnv). A ComfyUI workflow
// mapped to an id takes that id over, so an operator can serve any model on their own GPU.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CAPABILITIES, capabilitiesFor } from './capabilities.js';
import { ComfyUIProvider } from './comfyui.js';
import { comfyCapabilities, parseWorkflow } from './comfyui-workflow.js';
import { DEFAULT_FAL_ENDPOINTS, FalProvider, type FalEndpoints } from './fal.js';
import { GeminiProvider } from './gemini.js';
import { OpenAIProvider } from './openai.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import type { ModelCapabilities, Provider } from './types.js';

export const DEFAULT_GEMINI_MODEL = 'gemini-3.1-flash-image-preview'; // Nano Banana 2
export const DEFAULT_GEMINI_PRO_MODEL = 'gemini-3-pro-image-preview'; // Nano Banana Pro
export const DEFAULT_OPENAI_MODEL = 'gpt-image-2';

export interface ProviderConfig {
  gemini: { apiKey?: string; baseUrl?: string; model: string; proModel: string };
  openai: { apiKey?: string; baseUrl?: string; model: string };
  fal: { apiKey?: string; baseUrl?: string; endpoints: Record<string, FalEndpoints>; pollIntervalMs: number };
  comfyui: { url?: string; /** base_model id → workflow file path */ workflows: Record<string, string>; pollIntervalMs?: number };
  retry: RetryPolicy;
}

function optUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(v)}`);
  return v.replace(/\/+$/, '');
}

function opt(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function jsonObject(env: NodeJS.ProcessEnv, name: string): Record<string, unknown> | undefined {
  const raw = opt(env, name);
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = opt(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * Reads LIKENESS_GEMINI_API_KEY/_BASE_URL/_MODEL/_PRO_MODEL, LIKENESS_OPENAI_API_KEY/
 * _BASE_URL/_MODEL, LIKENESS_FAL_KEY/_BASE_URL/_ENDPOINTS, LIKENESS_COMFYUI_URL/_WORKFLOWS,
 * LIKENESS_PROVIDER_MAX_ATTEMPTS. Throws Error naming the variable on a bad value.
 */
export function providerConfigFromEnv(env: NodeJS.ProcessEnv): ProviderConfig {
  const endpoints: Record<string, FalEndpoints> = { ...DEFAULT_FAL_ENDPOINTS };
  const falMap = jsonObject(env, 'LIKENESS_FAL_ENDPOINTS');
  for (const [id, v] of Object.entries(falMap ?? {})) {
    // Either "owner/app" for both, or {generate, edit}.
    if (typeof v === 'string' && v) endpoints[id] = { generate: v, edit: v };
    else if (v && typeof v === 'object' && typeof (v as FalEndpoints).generate === 'string' && typeof (v as FalEndpoints).edit === 'string') {
      endpoints[id] = { generate: (v as FalEndpoints).generate, edit: (v as FalEndpoints).edit };
    } else throw new Error(`LIKENESS_FAL_ENDPOINTS.${id} must be an endpoint id string or {"generate": "...", "edit": "..."}`);
  }
  const workflows: Record<string, string> = {};
  for (const [id, v] of Object.entries(jsonObject(env, 'LIKENESS_COMFYUI_WORKFLOWS') ?? {})) {
    if (typeof v !== 'string' || !v) throw new Error(`LIKENESS_COMFYUI_WORKFLOWS.${id} must be a workflow file path`);
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id)) throw new Error(`LIKENESS_COMFYUI_WORKFLOWS: ${JSON.stringify(id)} is not a valid base_model id`);
    workflows[id] = v;
  }
  return {
    gemini: {
      apiKey: opt(env, 'LIKENESS_GEMINI_API_KEY'),
      baseUrl: optUrl(env, 'LIKENESS_GEMINI_BASE_URL'),
      model: opt(env, 'LIKENESS_GEMINI_MODEL') ?? DEFAULT_GEMINI_MODEL,
      proModel: opt(env, 'LIKENESS_GEMINI_PRO_MODEL') ?? DEFAULT_GEMINI_PRO_MODEL,
    },
    openai: {
      apiKey: opt(env, 'LIKENESS_OPENAI_API_KEY'),
      baseUrl: optUrl(env, 'LIKENESS_OPENAI_BASE_URL'),
      model: opt(env, 'LIKENESS_OPENAI_MODEL') ?? DEFAULT_OPENAI_MODEL,
    },
    fal: { apiKey: opt(env, 'LIKENESS_FAL_KEY'), baseUrl: optUrl(env, 'LIKENESS_FAL_BASE_URL'), endpoints, pollIntervalMs: 1000 },
    comfyui: { url: optUrl(env, 'LIKENESS_COMFYUI_URL'), workflows },
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: positiveInt(env, 'LIKENESS_PROVIDER_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts, 1) },
  };
}

export interface ProviderRegistry {
  get(id: string): Provider | undefined;
  list(): Array<{ capabilities: ModelCapabilities; configured: boolean }>;
}

/** Builds every adapter. Reads the ComfyUI workflow files; throws Error if one is unusable. */
export function createProviderRegistry(config: ProviderConfig): ProviderRegistry {
  const providers = new Map<string, Provider>();
  const retry = config.retry;
  providers.set('nb2', new GeminiProvider(capabilitiesFor('nb2'), { ...config.gemini, model: config.gemini.model, retry }));
  providers.set('nb-pro', new GeminiProvider(capabilitiesFor('nb-pro'), { ...config.gemini, model: config.gemini.proModel, retry }));
  providers.set('gpt-image-2', new OpenAIProvider(capabilitiesFor('gpt-image-2'), { ...config.openai, retry }));
  for (const id of ['flux-2', 'qwen-image-2', 'reve']) {
    const endpoints = config.fal.endpoints[id] ?? DEFAULT_FAL_ENDPOINTS[id];
    providers.set(id, new FalProvider(capabilitiesFor(id), { ...config.fal, endpoints, retry }));
  }
  for (const [id, file] of Object.entries(config.comfyui.workflows)) {
    const path = resolve(file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`LIKENESS_COMFYUI_WORKFLOWS.${id}: cannot read workflow ${path}: ${(e as Error).message}`);
    }
    const { workflow, slots } = parseWorkflow(json, `LIKENESS_COMFYUI_WORKFLOWS.${id} (${path})`);
    providers.set(
      id,
      new ComfyUIProvider(comfyCapabilities(id, slots), { url: config.comfyui.url, workflow, retry, pollIntervalMs: config.comfyui.pollIntervalMs }),
    );
  }
  const order = [...Object.keys(CAPABILITIES), ...Object.keys(config.comfyui.workflows).filter((id) => !(id in CAPABILITIES))];
  return {
    get: (id) => providers.get(id),
    list: () => order.map((id) => providers.get(id)!).map((p) => ({ capabilities: p.capabilities, configured: p.configured })),
  };
}
