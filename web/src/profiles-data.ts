// The account's profiles, shared by the pages that show or mention them; refreshed every
// 1.5 s while any is still training.
import { useEffect, useState } from 'preact/hooks';
import { api, ext, TERMINAL, type Profile } from './api';

type Listener = () => void;
let cache: { profiles: Profile[]; error: unknown; loaded: boolean } = { profiles: [], error: null, loaded: false };
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<void> | null = null;

export function refreshProfiles(): Promise<void> {
  inflight ??= api<{ profiles: Profile[] }>('GET', ext('/profiles?limit=200'))
    .then(
      (r) => void (cache = { profiles: r.profiles, error: null, loaded: true }),
      (error) => void (cache = { ...cache, error, loaded: true }),
    )
    .finally(() => {
      inflight = null;
      listeners.forEach((l) => l());
      clearTimeout(timer);
      if (listeners.size && cache.profiles.some((p) => !TERMINAL.includes(p.status))) timer = setTimeout(refreshProfiles, 1500);
    });
  return inflight;
}

export function useProfiles() {
  const [, setN] = useState(0);
  useEffect(() => {
    const l = () => setN((n) => n + 1);
    listeners.add(l);
    void refreshProfiles();
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { ...cache, reload: refreshProfiles };
}

export function resetProfiles(): void {
  cache = { profiles: [], error: null, loaded: false };
}
