// The Likeness console: sign in with an API key, then Profiles, Studio, Jobs, Models,
// Settings and (admin keys) Keys. Served by Likeness at /console.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { api, ext, session, setUnauthorizedHandler, type Me } from './api';
import { useRoute, navigate } from './router';
import { resetProfiles } from './profiles-data';
import { SignIn } from './pages/SignIn';
import { Profiles, NewProfile } from './pages/Profiles';
import { ProfileDetail } from './pages/ProfileDetail';
import { Studio } from './pages/Studio';
import { Jobs } from './pages/Jobs';
import { Models } from './pages/Models';
import { Settings } from './pages/Settings';
import { Keys } from './pages/Keys';
import { Spinner } from './components/ui';

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(!!session.key());
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();

  const signOut = (why: string | null = null) => {
    session.clear();
    resetProfiles();
    setMe(null);
    setNotice(why);
  };
  useEffect(() => {
    setUnauthorizedHandler(() => signOut('Your key is no longer accepted (revoked?). Sign in again.'));
    if (!session.key()) return;
    api<Me>('GET', ext('/me')).then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      () => {
        signOut();
        setChecking(false);
      },
    );
  }, []);
  useEffect(() => {
    const page = route[0] ?? 'profiles';
    document.title = `${page[0].toUpperCase()}${page.slice(1).split('?')[0]} · Likeness console`;
  }, [route.join('/')]);
  // A hash change swaps the page without a load, so screen readers and keyboard users would
  // stay on the old link: move focus to the new page's heading (or the main region).
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    const id = requestAnimationFrame(() => {
      const target = document.querySelector<HTMLElement>('#main h1') ?? document.getElementById('main');
      if (!target) return;
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    });
    return () => cancelAnimationFrame(id);
  }, [route.join('/')]);

  if (checking) return <div class="signin"><Spinner label="Checking your key" /></div>;
  if (!me) {
    return (
      <>
        {notice ? <div class="banner info" role="status" style={{ borderRadius: 0 }}>{notice}</div> : null}
        <SignIn
          onSignedIn={(key, m) => {
            session.set(key);
            setNotice(null);
            setMe(m);
            if (!location.hash) navigate('/profiles');
          }}
        />
      </>
    );
  }

  const [section = 'profiles', sub, ...rest] = route;
  const [page, queryString = ''] = `${section}`.split('?');
  const [subPath, subQuery = ''] = (sub ?? '').split('?');
  const query = new URLSearchParams(queryString || subQuery);
  const links: Array<[string, string]> = [
    ['profiles', 'Profiles'],
    ['studio', 'Studio'],
    ['jobs', 'Jobs'],
    ['models', 'Models'],
    ['settings', 'Settings'],
    ...(me.admin ? ([['keys', 'Keys']] as Array<[string, string]>) : []),
  ];
  let content;
  if (page === 'profiles' && subPath === 'new') content = <NewProfile />;
  else if (page === 'profiles' && subPath) content = <ProfileDetail id={subPath} />;
  else if (page === 'studio') content = <Studio op={subPath} query={query} key={subPath} />;
  else if (page === 'jobs') content = <Jobs />;
  else if (page === 'models') content = <Models />;
  else if (page === 'settings') content = <Settings me={me} />;
  else if (page === 'keys' && me.admin) content = <Keys me={me} />;
  else content = <Profiles />;
  void rest;

  return (
    <div class="shell">
      <header class="side">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">◉</span> Likeness
        </div>
        <nav class="nav" aria-label="Console">
          {links.map(([id, label]) => (
            <a key={id} href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="side-foot">
          <span class="acct mono" title="Account">
            {me.account_id}
          </span>
          {me.credits.enabled ? <span>Credit ${(me.credits.balance_usd ?? 0).toFixed(2)}</span> : null}
          <button class="btn small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main class="main" id="main" tabindex={-1}>
        {content}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
