// One background thread for HEIC decoding (see heic.ts). Requests queue on it in order;
// the thread is unref'd while idle so it never keeps the process alive, and is replaced
// if it dies (a wasm abort on a hostile file must not take the server down).
import { Worker } from 'node:worker_threads';
import { HeicError, type DecodedRgba } from './heic.js';

interface Pending {
  resolve: (v: DecodedRgba) => void;
  reject: (e: Error) => void;
  /** The caller's bytes, kept so the decode can be sent again if its thread dies. */
  buf: Uint8Array;
  maxPixels: number;
  /** The thread this decode was posted to. */
  worker: Worker;
  /** Times it was sent again after another file's decode killed its thread. */
  resent: number;
}
export type HeicWorkerReply =
  | { id: number; ok: true; width: number; height: number; data: Uint8Array; hasAlpha: boolean }
  | { id: number; ok: false; kind: 'unreadable' | 'too_large'; message: string };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();
/** Threads terminated because a decode took too long: no decode still pending on them is at fault. */
const timedOut = new WeakSet<Worker>();
/** A decode queued behind a thread-killing file is sent again at most this often. */
const MAX_RESENDS = 2;

function post(id: number, p: Pending): void {
  const w = getWorker();
  p.worker = w;
  w.ref();
  // Copy: the caller keeps its buffer (it may be a slice of a larger pool allocation).
  const copy = new Uint8Array(p.buf);
  w.postMessage({ id, buffer: copy, maxPixels: p.maxPixels }, [copy.buffer]);
}

/**
 * A thread died (wasm abort, or terminated after a timeout). Only the decode it was working on
 * (the oldest one sent to it) is that file's failure; the others queued on the same thread are
 * other requests' files and are sent to a fresh thread, so one hostile upload cannot turn other
 * users' valid photos into IMAGE_UNREADABLE. Decodes already on a newer thread are untouched.
 */
function onWorkerDeath(w: Worker): void {
  if (worker === w) worker = undefined;
  const mine = [...pending.entries()].filter(([, p]) => p.worker === w).sort(([a], [b]) => a - b);
  if (mine.length === 0) return;
  const culprit = timedOut.has(w) ? undefined : mine[0][0];
  for (const [id, p] of mine) {
    if (id === culprit || p.resent >= MAX_RESENDS) {
      pending.delete(id);
      p.reject(new HeicError('unreadable', 'the HEIC/HEIF decoder failed on this file'));
    } else {
      p.resent++;
      post(id, p);
    }
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./heic-worker.js', import.meta.url));
  w.unref();
  w.on('message', (msg: HeicWorkerReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (![...pending.values()].some((q) => q.worker === w)) w.unref();
    if (msg.ok) {
      const data = Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
      p.resolve({ width: msg.width, height: msg.height, data, hasAlpha: msg.hasAlpha });
    } else {
      p.reject(new HeicError(msg.kind, msg.message));
    }
  });
  // 'error' is followed by 'exit'; the second call finds nothing left on this thread.
  w.on('error', () => onWorkerDeath(w));
  w.on('exit', () => onWorkerDeath(w));
  worker = w;
  return w;
}

/** Longest a queued decode may take before the thread is presumed stuck and replaced. */
const DECODE_TIMEOUT_MS = 60_000;

/** Decodes on the HEIC thread. Same contract and errors as decodeHeicHere. */
export function decodeHeicInWorker(buf: Uint8Array, opts: { maxPixels: number; timeoutMs?: number }): Promise<DecodedRgba> {
  return new Promise<DecodedRgba>((resolveOuter, rejectOuter) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      rejectOuter(new HeicError('unreadable', 'decoding the HEIC/HEIF file took too long'));
      // A decoder stuck in wasm cannot be interrupted: replace the thread.
      const w = p.worker;
      timedOut.add(w);
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
    const p: Pending = { resolve, reject, buf, maxPixels: opts.maxPixels, worker: undefined as unknown as Worker, resent: 0 };
    pending.set(id, p);
    post(id, p);
  });
}

/** Stops the HEIC thread (tests, graceful shutdown). Pending decodes fail. */
export async function stopHeicWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (!w) return;
  for (const [id, p] of pending) {
    if (p.worker !== w) continue;
    pending.delete(id);
    p.reject(new HeicError('unreadable', 'the HEIC/HEIF decoder was stopped'));
  }
  await w.terminate();
}
