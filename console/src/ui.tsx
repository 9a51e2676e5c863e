/** Shared pieces: loading, empty and error states, a data hook, tables, formatting. */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; never throws into the render (an API failure is shown, not a blank page). */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <div className="state error" role="alert">
      <strong>
        {status === 401
          ? 'Sign in with a key to see this.'
          : status === 403
            ? 'Your key may not see this (it needs an admin key).'
            : 'Something went wrong.'}
      </strong>{' '}
      <span>{error.message}</span>
      {retry ? (
        <button type="button" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** The usual three states around a loaded value. */
export function Show<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (data: T) => ReactNode }) {
  if (loaded.error) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  if (loaded.data === undefined) return <Loading what={what} />;
  return <>{children(loaded.data)}</>;
}

export function Table({ head, rows, caption }: { head: ReactNode[]; rows: ReactNode[][]; caption?: string }) {
  return (
    <div className="table-wrap">
      <table>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {head.map((cell, index) => (
              <th key={index} scope="col">
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={index}>
              {row.map((cell, column) => (
                <td key={column}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export const usd = (value: number | string | null | undefined, digits = 4): string =>
  value === null || value === undefined || value === '' ? '–' : `$${Number(value).toFixed(digits)}`;

/** USD per token (OpenRouter's pricing strings) → USD per 1M tokens. */
export const perMillion = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? '–' : `$${(Number(value) * 1e6).toFixed(2)}`;

export const count = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : value.toLocaleString('en-US');

export const percent = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '–' : `${value.toFixed(digits)}%`;

/** What a page that needs a key shows before sign-in. */
export function SignInFirst({ what }: { what: string }) {
  return (
    <div className="state empty" role="status">
      <strong>Sign in to see {what}.</strong> Paste an API key into the API key field at the top of the page (it stays in this tab only).{' '}
      <button type="button" className="secondary" onClick={() => document.getElementById('key')?.focus()}>
        Go to sign-in
      </button>
    </div>
  );
}

/** An answer the caller's key may not see (403), said plainly rather than as a failure. */
export function isForbidden(error: Error | undefined): boolean {
  return error instanceof ApiError && error.status === 403;
}

export function AdminOnly({ error, what }: { error: Error; what: string }) {
  return (
    <div className="state empty" role="status">
      <strong>{what} need an admin key.</strong> <span>{error.message}</span>
    </div>
  );
}

/** Copies `text`; says so for a moment. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!done) return;
    const timer = setTimeout(() => setDone(null), 2000);
    return () => clearTimeout(timer);
  }, [done]);
  return (
    <button
      type="button"
      className="secondary"
      onClick={() => {
        navigator.clipboard?.writeText(text).then(
          () => setDone('copied'),
          () => setDone('failed'),
        ) ?? setDone('failed');
      }}
    >
      {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select it' : label}
    </button>
  );
}

/** A signed change in percent: +12.5% / −3.0% / new. */
export const change = (value: number | null | undefined): string =>
  value === null || value === undefined ? 'new' : `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(1)}%`;

/** USD with enough digits to show a small amount (under a cent: six places). */
export const money = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : usd(value, value !== 0 && Math.abs(value) < 0.01 ? 6 : value < 100 ? 4 : 2);

/** `load()` when signed in; otherwise a promise that never settles (no request is made, nothing is shown as failed). */
export function ifSignedIn<T>(signedIn: boolean, load: () => Promise<T>): Promise<T> {
  return signedIn ? load() : new Promise<T>(() => undefined);
}

/** A table's header row: each column a label, or `{label, num}` for a right-aligned number column. */
export function TableHead({ columns }: { columns: Array<ReactNode | { label: ReactNode; num: true }> }) {
  return (
    <thead>
      <tr>
        {columns.map((column, index) => {
          const num = typeof column === 'object' && column !== null && 'num' in column;
          return (
            <th key={index} scope="col" className={num ? 'num' : undefined}>
              {num ? column.label : column}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
