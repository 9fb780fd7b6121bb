// Body of the HEIC decoding thread (heic-pool.ts): decode, reply, transfer the pixels.
import { parentPort } from 'node:worker_threads';
import { decodeHeicHere, HeicError } from './heic.js';
import type { HeicWorkerReply } from './heic-pool.js';

parentPort?.on('message', async (msg: { id: number; buffer: Uint8Array; maxPixels: number }) => {
  let reply: HeicWorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const img = await decodeHeicHere(msg.buffer, { maxPixels: msg.maxPixels });
    const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    reply = { id: msg.id, ok: true, width: img.width, height: img.height, data, hasAlpha: img.hasAlpha };
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) transfer = [data.buffer as ArrayBuffer];
  } catch (err) {
    reply = err instanceof HeicError
      ? { id: msg.id, ok: false, kind: err.kind, message: err.message }
      : { id: msg.id, ok: false, kind: 'unreadable', message: 'the HEIC/HEIF file could not be decoded' };
  }
  parentPort!.postMessage(reply, transfer);
});
