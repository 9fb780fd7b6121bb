// Worker-thread handlers for local enhancement. The identity worker pool imports this map and
// dispatches `{ task: name, payload }` to it, so enhancement never runs on the HTTP event loop.
import { enhanceImage, gentlerVariant, type EnhanceOptions } from './pipeline.js';

export interface EnhanceTaskPayload extends EnhanceOptions {
  /** Encoded input image bytes (any format sharp decodes). */
  input: Uint8Array | ArrayBuffer;
}

export interface GentlerTaskPayload extends Omit<EnhanceOptions, 'variants'> {
  input: Uint8Array | ArrayBuffer;
  /** Label of the variant whose output drifted (e.g. "strong"). */
  label: string;
  /** What drifted: the face's identity (default) or its skin tone. */
  drift?: 'identity' | 'skin';
}

function toBuffer(bytes: Uint8Array | ArrayBuffer): Buffer {
  return bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Copies each output into its own ArrayBuffer so it can be transferred (not cloned) back. */
function packOutputs(outs: Array<{ data: Buffer; width: number; height: number; label: string; exposureFix: boolean; colourFix: boolean }>) {
  const transfer: ArrayBuffer[] = [];
  const result = outs.map((o) => {
    const ab = new ArrayBuffer(o.data.byteLength);
    new Uint8Array(ab).set(o.data);
    transfer.push(ab);
    return { data: new Uint8Array(ab), width: o.width, height: o.height, label: o.label, exposureFix: o.exposureFix, colourFix: o.colourFix };
  });
  return { result, transfer };
}

export const enhanceTasks: Record<string, (payload: any) => Promise<{ result: any; transfer?: ArrayBuffer[] }>> = {
  /** payload: EnhanceTaskPayload → result: Array<{data: Uint8Array, width, height, label, exposureFix, colourFix}>. */
  async enhance(payload: EnhanceTaskPayload) {
    const { input, ...opts } = payload;
    const outs = await enhanceImage(toBuffer(input), opts);
    return packOutputs(outs);
  },
  /** payload: GentlerTaskPayload → result: {data, width, height, label, exposureFix, colourFix} or null at the bottom of the ladder. */
  async 'enhance.gentler'(payload: GentlerTaskPayload) {
    const { input, ...opts } = payload;
    const out = await gentlerVariant(toBuffer(input), opts);
    if (!out) return { result: null };
    const packed = packOutputs([out]);
    return { result: packed.result[0], transfer: packed.transfer };
  },
};
