/**
 * The console's shell: navigation, the key (sign in / out, kept in sessionStorage), and a hash
 * router that loads each page on demand (so the first page is small and usable at once).
 */
import { Component, StrictMode, Suspense, lazy, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { storeKey, storedKey } from './api.js';
import { Loading } from './ui.js';
import './styles.css';

const PAGES = {
  models: { title: 'Models', load: lazy(() => import('./pages/Models.js')) },
  rankings: { title: 'Rankings', load: lazy(() => import('./pages/Rankings.js')) },
  leaderboard: { title: 'Leaderboard', load: lazy(() => import('./pages/Leaderboard.js')) },
  ecosystem: { title: 'Ecosystem', load: lazy(() => import('./pages/Ecosystem.js')) },
  playground: { title: 'Playground', load: lazy(() => import('./pages/Playground.js')) },
  keys: { title: 'Keys & usage', load: lazy(() => import('./pages/Keys.js')) },
  governance: { title: 'Governance', load: lazy(() => import('./pages/Governance.js')) },
} as const;
type PageName = keyof typeof PAGES;

/** `#/models/deepseek/deepseek-r1` → page `models`, rest `deepseek/deepseek-r1`. */
function parseHash(hash: string): { page: PageName; rest: string } {
  const path = hash.replace(/^#\/?/, '');
  const [first = '', ...rest] = path.split('/');
  const page = (first in PAGES ? first : 'models') as PageName;
  return { page, rest: decodeURIComponent(rest.join('/')) };
}

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const update = () => setHash(window.location.hash);
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash;
}

function useKey(): string | null {
  const [key, setKey] = useState(storedKey());
  useEffect(() => {
    // Re-read on sign-in/out here, on navigation, and when another tab of this origin changes it.
    const update = () => setKey(storedKey());
    window.addEventListener('agora-key', update);
    window.addEventListener('hashchange', update);
    window.addEventListener('storage', update);
    return () => {
      window.removeEventListener('agora-key', update);
      window.removeEventListener('hashchange', update);
      window.removeEventListener('storage', update);
    };
  }, []);
  return key;
}

function SignIn() {
  const key = useKey();
  const [draft, setDraft] = useState('');
  if (key) {
    return (
      <div className="signin">
        <span className="signed" title="kept in this tab only (session storage)">
          Signed in ({key.slice(0, 10)}…)
        </span>
        <button type="button" onClick={() => storeKey(null)}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <form
      className="signin"
      onSubmit={(event) => {
        event.preventDefault();
        if (draft.trim()) storeKey(draft.trim());
        setDraft('');
      }}
    >
      <label htmlFor="key">API key</label>
      <input
        id="key"
        type="password"
        autoComplete="off"
        placeholder="sk-agora-…"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit">Sign in</button>
    </form>
  );
}

/** A page that throws renders this instead of a blank screen. */
class Boundary extends Component<{ children: ReactNode; page: string }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidUpdate(previous: { page: string }) {
    if (previous.page !== this.props.page && this.state.error) this.setState({ error: undefined });
  }
  override render() {
    if (this.state.error)
      return (
        <div className="state error" role="alert">
          <strong>This page failed to render.</strong> {this.state.error.message}
        </div>
      );
    return this.props.children;
  }
}

function App() {
  const { page, rest } = parseHash(useHash());
  const key = useKey();
  const Page = PAGES[page].load;
  useEffect(() => {
    document.title = `${PAGES[page].title} · Agora`;
  }, [page]);
  return (
    <>
      <header className="top">
        <a className="brand" href="#/models">
          Agora
        </a>
        <nav aria-label="Pages">
          {(Object.keys(PAGES) as PageName[]).map((name) => (
            <a key={name} href={`#/${name}`} aria-current={name === page ? 'page' : undefined}>
              {PAGES[name].title}
            </a>
          ))}
        </nav>
        <SignIn />
      </header>
      <main id="content">
        <Boundary page={page}>
          <Suspense fallback={<Loading what={PAGES[page].title.toLowerCase()} />}>
            <Page rest={rest} signedIn={key !== null} />
          </Suspense>
        </Boundary>
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
