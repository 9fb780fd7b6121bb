// Hash routes (#/profiles/abc): every page is /console/index.html, so reloads and deep links
// work without server-side routing.
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/profiles';
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return path.split('/').filter(Boolean);
}

export const navigate = (path: string) => {
  location.hash = path;
};
