// ComfyUI API-format workflows with Likeness template slots (pure). A workflow is the JSON
// ComfyUI exports with "Save (API Format)": { nodeId: { class_type, inputs } }. Any string
// input may be a template slot; a string that is exactly "{{width}}" becomes a number.
//   {{prompt}} {{negative_prompt}} {{width}} {{height}} {{seed}} {{batch_size}}
//   {{input_image_N}}      the user's N-th input image (uploaded file name)
//   {{reference_image_N}}  the N-th attached profile reference photo
import type { ModelCapabilities } from './types.js';
import { capabilitiesFor } from './capabilities.js';

export type ApiWorkflow = Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: unknown }>;

const TEMPLATE_SLOT = /\{\{\s*([a-z_]+(?:_\d+)?)\s*\}\}/g;
const SCALARS = new Set(['prompt', 'negative_prompt', 'width', 'height', 'seed', 'batch_size']);
const NUMERIC = new Set(['width', 'height', 'seed', 'batch_size']);

export interface WorkflowSlots {
  inputImages: number;
  referenceImages: number;
  names: Set<string>;
}

function walkStrings(v: unknown, fn: (s: string) => void): void {
  if (typeof v === 'string') fn(v);
  else if (Array.isArray(v)) v.forEach((x) => walkStrings(x, fn));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => walkStrings(x, fn));
}

/** Validates the shape and template slots of a workflow; throws Error with a clear message. */
export function parseWorkflow(json: unknown, source: string): { workflow: ApiWorkflow; slots: WorkflowSlots } {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${source}: a ComfyUI workflow must be a JSON object`);
  const wf = json as Record<string, unknown>;
  if ('nodes' in wf && 'links' in wf) {
    throw new Error(`${source}: this is a UI workflow; export it with "Save (API Format)" instead`);
  }
  for (const [id, node] of Object.entries(wf)) {
    const n = node as { class_type?: unknown; inputs?: unknown };
    if (!n || typeof n !== 'object' || typeof n.class_type !== 'string' || !n.inputs || typeof n.inputs !== 'object') {
      throw new Error(`${source}: node ${id} needs class_type and inputs (API format)`);
    }
  }
  const names = new Set<string>();
  walkStrings(wf, (s) => {
    for (const m of s.matchAll(TEMPLATE_SLOT)) names.add(m[1]);
  });
  let inputImages = 0;
  let referenceImages = 0;
  for (const name of names) {
    const img = /^(input|reference)_image_(\d+)$/.exec(name);
    if (img) {
      const k = Number(img[2]) + 1;
      if (img[1] === 'input') inputImages = Math.max(inputImages, k);
      else referenceImages = Math.max(referenceImages, k);
    } else if (!SCALARS.has(name)) {
      throw new Error(`${source}: unknown template slot {{${name}}}`);
    }
  }
  return { workflow: wf as ApiWorkflow, slots: { inputImages, referenceImages, names } };
}

/** Capabilities of `id` when served by this workflow. */
export function comfyCapabilities(id: string, slots: WorkflowSlots): ModelCapabilities {
  const base = capabilitiesFor(id);
  const operations = slots.inputImages === 0 ? base.operations.filter((o) => o === 'generate') : base.operations;
  return {
    ...base,
    operations: operations.length > 0 ? operations : ['generate'],
    qualities: null,
    maxInputImages: slots.inputImages + slots.referenceImages,
    // Likeness queues one prompt per candidate (or one batch with {{batch_size}}).
    maxOutputsPerCall: 4,
  };
}

export interface FillValues {
  prompt: string;
  negative_prompt?: string;
  width: number;
  height: number;
  seed: number;
  batch_size?: number;
  inputImages: string[];
  referenceImages: string[];
}

/** A copy of the workflow with every template slot filled; throws on a slot it cannot fill. */
export function fillWorkflow(workflow: ApiWorkflow, v: FillValues): ApiWorkflow {
  const lookup = (name: string): string | number => {
    const img = /^(input|reference)_image_(\d+)$/.exec(name);
    if (img) {
      const list = img[1] === 'input' ? v.inputImages : v.referenceImages;
      const file = list[Number(img[2])];
      if (file === undefined) {
        throw new MissingImageError(img[1] as 'input' | 'reference', Number(img[2]) + 1, list.length);
      }
      return file;
    }
    const val = (v as unknown as Record<string, unknown>)[name];
    if (name === 'negative_prompt') return (val as string | undefined) ?? '';
    if (name === 'batch_size') return (val as number | undefined) ?? 1;
    return val as string | number;
  };
  const fill = (x: unknown): unknown => {
    if (typeof x === 'string') {
      const exact = /^\{\{\s*([a-z_]+(?:_\d+)?)\s*\}\}$/.exec(x);
      if (exact) {
        const val = lookup(exact[1]);
        return NUMERIC.has(exact[1]) ? Number(val) : val;
      }
      return x.replace(TEMPLATE_SLOT, (_m, name: string) => String(lookup(name)));
    }
    if (Array.isArray(x)) return x.map(fill);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fill(y)]));
    return x;
  };
  return fill(workflow) as ApiWorkflow;
}

export class MissingImageError extends Error {
  constructor(
    readonly kind: 'input' | 'reference',
    readonly needed: number,
    readonly given: number,
  ) {
    super(`the workflow needs ${needed} ${kind} image${needed === 1 ? '' : 's'}, got ${given}`);
    this.name = 'MissingImageError';
  }
}

/** File references of a finished prompt's images, from GET /history/{prompt_id}. */
export function historyImages(history: unknown, promptId: string): Array<{ filename: string; subfolder: string; type: string }> {
  const entry = (history as Record<string, { outputs?: Record<string, { images?: unknown[] }> }> | null)?.[promptId];
  const all: Array<{ filename: string; subfolder: string; type: string }> = [];
  for (const out of Object.values(entry?.outputs ?? {})) {
    for (const im of out.images ?? []) {
      const i = im as { filename?: unknown; subfolder?: unknown; type?: unknown };
      if (typeof i.filename === 'string') all.push({ filename: i.filename, subfolder: String(i.subfolder ?? ''), type: String(i.type ?? 'output') });
    }
  }
  // Prefer saved outputs over previews (PreviewImage writes "temp" files).
  const saved = all.filter((i) => i.type === 'output');
  return saved.length > 0 ? saved : all;
}
