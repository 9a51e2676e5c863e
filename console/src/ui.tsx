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
