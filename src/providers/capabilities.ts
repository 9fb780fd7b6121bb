// What each base model can do (phota-api.md §7 + decisions). The table is the contract's
// promise; a ComfyUI workflow may narrow it (see comfyui.ts) but never widens it.
import type { ModelCapabilities, Quality, Resolution } from './types.js';

export const BASE_MODEL_IDS = ['flux-2', 'gpt-image-2', 'nb2', 'qwen-image-2', 'reve'] as const;
export type BaseModelId = (typeof BASE_MODEL_IDS)[number];

const ALL_QUALITIES: Quality[] = ['auto', 'low', 'medium', 'high'];
const R124: Resolution[] = ['1K', '2K', '4K'];

export const CAPABILITIES: Readonly<Record<string, ModelCapabilities>> = {
  // Gemini image models take up to 14 reference images and return one image per call.
  nb2: {
    id: 'nb2',
    displayName: 'Nano Banana 2',
    operations: ['edit', 'generate', 'remix', 'enhance'],
    resolutions: R124,
    qualities: null,
    maxInputImages: 14,
    maxOutputsPerCall: 1,
  },
  // Alias outside the contract's enum, served by the same adapter with the Pro model.
  'nb-pro': {
    id: 'nb-pro',
    displayName: 'Nano Banana Pro',
    operations: ['edit', 'generate', 'remix', 'enhance'],
    resolutions: R124,
    qualities: null,
    maxInputImages: 14,
    maxOutputsPerCall: 1,
  },
  // OpenAI Images: up to 16 input images on /images/edits, `n` candidates per call.
  'gpt-image-2': {
    id: 'gpt-image-2',
    displayName: 'GPT Image 2',
    operations: ['edit', 'generate'],
    resolutions: R124,
    qualities: ALL_QUALITIES,
    maxInputImages: 16,
    maxOutputsPerCall: 4,
  },
  'qwen-image-2': {
    id: 'qwen-image-2',
    displayName: 'Qwen Image 2',
    operations: ['edit', 'generate'],
    resolutions: ['1K', '2K'],
    qualities: null,
    maxInputImages: 3,
    maxOutputsPerCall: 4,
  },
  'flux-2': {
    id: 'flux-2',
    displayName: 'Flux 2 Dev',
    operations: ['edit', 'generate'],
    resolutions: ['1K', '2K'],
    qualities: null,
    maxInputImages: 4,
    maxOutputsPerCall: 4,
  },
  // Reve's edit endpoint takes a single image, so no room for reference photos.
  reve: {
    id: 'reve',
    displayName: 'Reve',
    operations: ['edit', 'generate'],
    resolutions: ['1K'],
    qualities: null,
    maxInputImages: 1,
    maxOutputsPerCall: 4,
  },
};

/** Capabilities of a known id, or a conservative default for a custom (ComfyUI-only) id. */
export function capabilitiesFor(id: string): ModelCapabilities {
  const known = CAPABILITIES[id];
  if (known) return { ...known, operations: [...known.operations], resolutions: [...known.resolutions] };
  return {
    id,
    displayName: id,
    operations: ['edit', 'generate'],
    resolutions: ['1K', '2K'],
    qualities: null,
    maxInputImages: 4,
    maxOutputsPerCall: 1,
  };
}
