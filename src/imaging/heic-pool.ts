// One background thread for HEIC decoding (see heic.ts). Requests queue on it in order;
// the thread is unref'd while idle so it never keeps the process alive, and is replaced
// if it dies (a wasm abort on a hostile file must not take the server down).
import { Worker } from 'node:worker_threads';
import { HeicError, type DecodedRgba } from './heic.js';

interface Pending {
  resolve: (v: DecodedRgba) => void;
  reject: (e: Error) => void;
}
export type HeicWorkerReply =
  | { id: number; ok: true; width: number; height: number; data: Uint8Array; hasAlpha: boolean }
  | { id: number; ok: false; kind: 'unreadable' | 'too_large'; message: string };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./heic-worker.js', import.meta.url));
  w.unref();
  w.on('message', (msg: HeicWorkerReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (pending.size === 0) w.unref();
    if (msg.ok) {
      const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
      p.resolve({ width: msg.width, height: msg.height, data, hasAlpha: msg.hasAlpha });
    } else {
      p.reject(new HeicError(msg.kind, msg.message));
    }
  });
  const onDeath = () => {
    if (worker === w) worker = undefined;
    failAll(new HeicError('unreadable', 'the HEIC/HEIF decoder failed on this file'));
  };
  w.on('error', onDeath);
  w.on('exit', onDeath);
  worker = w;
  return w;
}

/** Longest a queued decode may take before the thread is presumed stuck and replaced. */
const DECODE_TIMEOUT_MS = 60_000;

/** Decodes on the HEIC thread. Same contract and errors as decodeHeicHere. */
export function decodeHeicInWorker(buf: Uint8Array, opts: { maxPixels: number; timeoutMs?: number }): Promise<DecodedRgba> {
  return new Promise<DecodedRgba>((resolveOuter, rejectOuter) => {
    const id = nextId++;
    const w = getWorker();
    const timer = setTimeout(() => {
      if (!pending.has(id)) return;
      pending.delete(id);
      rejectOuter(new HeicError('unreadable', 'decoding the HEIC/HEIF file took too long'));
      // A decoder stuck in wasm cannot be interrupted: replace the thread.
      if (worker === w) worker = undefined;
      void w.terminate();
    }, opts.timeoutMs ?? DECODE_TIMEOUT_MS);
    timer.unref();
    const resolve = (v: DecodedRgba) => {
      clearTimeout(timer);
      resolveOuter(v);
    };
    const reject = (e: Error) => {
      clearTimeout(timer);
      rejectOuter(e);
    };
    pending.set(id, { resolve, reject });
    w.ref();
    // Copy: the caller keeps its buffer (it may be a slice of a larger pool allocation).
    const copy = new Uint8Array(buf);
    w.postMessage({ id, buffer: copy, maxPixels: opts.maxPixels }, [copy.buffer]);
  });
}

/** Stops the HEIC thread (tests, graceful shutdown). Pending decodes fail. */
export async function stopHeicWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
