// Small building blocks with the console's states: loading, empty, error, progress.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, imageUrl } from '../api';

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const e = error as ApiError;
  return (
    <div class="banner error" role="alert">
      <div>
        <strong>{e?.code && e.code !== 'ERROR' ? `${e.code}: ` : ''}</strong>
        {e?.message ?? String(error)}
        {e?.requestId ? <div class="hint">Request id {e.requestId}</div> : null}
      </div>
      {onRetry ? (
        <button class="btn small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function Badge({ status }: { status: string }) {
  const text = status.replace('_', ' ').toLowerCase();
  return <span class={`badge ${status}`}>{text}</span>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}

export const Spinner = ({ label = 'Loading' }: { label?: string }) => <span class="spinner" role="status" aria-label={label} />;

/** Runs an async loader; `reload` runs it again. Keeps the last data while reloading. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    fn(ctrl.signal).then(
      (data) => !ctrl.signal.aborted && setState({ data, loading: false }),
      (error) => !ctrl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => ctrl.abort();
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

/** Calls fn every `ms` while `active`. */
export function useInterval(fn: () => void, ms: number, active: boolean) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [ms, active]);
}

const pictureCache = new Map<string, Promise<string>>();

/** A profile picture (the endpoint needs the key, so it is fetched and shown as an object URL). */
export function ProfilePicture({ id, ready, alt, size }: { id: string; ready: boolean; alt: string; size?: number }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!ready) return;
    let p = pictureCache.get(id);
    if (!p) {
      p = imageUrl(`/v1/phota/profiles/${id}/profile_picture`);
      pictureCache.set(id, p);
      p.catch(() => pictureCache.delete(id));
    }
    p.then(setSrc, () => setSrc(null));
  }, [id, ready]);
  if (!src) return <span aria-hidden="true" style={{ fontSize: size ? size / 2.5 : 40 }}>◌</span>;
  return <img src={src} alt={alt} width={size} height={size} />;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export async function copy(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // clipboard unavailable (plain http): the text is on screen to select
  }
}
