/**
 * Models (the first page): the catalog searched and filtered through GET /api/v1/models's own
 * filters, paged by its `links.next`; `#/models/{author}/{slug}` is one model's page
 * (ModelsDetail.tsx). The filters live here, so they survive a visit to a model and back.
 */
import { Suspense, lazy, useEffect, useState, type ReactNode } from 'react';
import { api, type ModelListAnswer, type ModelListItem } from '../api.js';
import { Empty, ErrorBox, Loading, count, useApi } from '../ui.js';
import type { PageProps } from './props.js';

// A model's page (and the chart library its lineage tree needs) loads only when one is opened: the list stays light.
const ModelDetail = lazy(() => import('./ModelsDetail.js').then((module) => ({ default: module.ModelDetail })));
import { params, price, tokens } from './ModelsFormat.js';

export interface Filters {
  q: string;
  author: string;
  author_country: string;
  open_weights: '' | 'true' | 'false';
  license: string;
  min_params: string;
  max_params: string;
  min_context: string;
  max_price: string;
  provider: string;
  servable: '' | 'true' | 'false';
}

const NO_FILTERS: Filters = {
  q: '',
  author: '',
  author_country: '',
  open_weights: '',
  license: '',
  min_params: '',
  max_params: '',
  min_context: '',
  max_price: '',
  provider: '',
  servable: '',
};

const PAGE_SIZE = 50;

const CONTEXTS: Array<[string, string]> = [
  ['', 'any'],
  ['8000', '8K+'],
  ['32000', '32K+'],
  ['128000', '128K+'],
  ['200000', '200K+'],
  ['1000000', '1M+'],
];

/** ISO 3166 two-letter codes, comma-separated (or nothing). */
const COUNTRIES = /^$|^[A-Za-z]{2}(\s*,\s*[A-Za-z]{2})*$/;

export function queryOf(filters: Filters): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters) as Array<[keyof Filters, string]>) {
    // A half-typed country code waits (the API would answer 400 until it is two letters).
    if (name === 'author_country' && !COUNTRIES.test(value.trim())) continue;
    if (value.trim() !== '') query.set(name, value.trim());
  }
  return query.toString();
}

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label>
      {label}
      {children}
    </label>
  );
}

/** A number filter (0 or more, decimals allowed). */
function Amount({ label, value, onChange }: { label: string; value: string; onChange: (event: { target: { value: string } }) => void }) {
  return (
    <Field label={label}>
      <input type="number" inputMode="decimal" min={0} step="any" value={value} onChange={onChange} style={{ width: '6.5rem' }} />
    </Field>
  );
}

function FilterForm({
  filters,
  setFilters,
  authors,
  countries,
}: {
  filters: Filters;
  setFilters: (next: Filters) => void;
  authors: string[];
  countries: string[];
}) {
  const set =
    <K extends keyof Filters>(name: K) =>
    (event: { target: { value: string } }) =>
      setFilters({ ...filters, [name]: event.target.value as Filters[K] });
  const active = queryOf(filters) !== '';
  return (
    <form className="filters" role="search" aria-label="Filter models" onSubmit={(event) => event.preventDefault()}>
      <Field label="Search">
        <input type="search" value={filters.q} onChange={set('q')} placeholder="name or id" size={16} />
      </Field>
      <Field label="Author">
        <input value={filters.author} onChange={set('author')} list="models-authors" placeholder="e.g. deepseek" size={12} />
      </Field>
      <Field label="Author country">
        <input
          value={filters.author_country}
          onChange={set('author_country')}
          aria-invalid={!COUNTRIES.test(filters.author_country.trim())}
          title="two-letter country codes, comma-separated"
          list="models-countries"
          placeholder="e.g. US,FR"
          size={8}
        />
      </Field>
      <Field label="Open weights">
        <select value={filters.open_weights} onChange={set('open_weights')}>
          <option value="">any</option>
          <option value="true">open</option>
          <option value="false">closed</option>
        </select>
      </Field>
      <Field label="License">
        <input value={filters.license} onChange={set('license')} placeholder="e.g. mit" size={9} />
      </Field>
      <Field label="Context">
        <select value={filters.min_context} onChange={set('min_context')}>
          {CONTEXTS.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      </Field>
      <Amount label="Max price ($/1M, 3:1)" value={filters.max_price} onChange={set('max_price')} />
      <Amount label="Params from (B)" value={filters.min_params} onChange={set('min_params')} />
      <Amount label="to (B)" value={filters.max_params} onChange={set('max_params')} />
      <Field label="Host">
        <input value={filters.provider} onChange={set('provider')} placeholder="provider id" size={10} />
      </Field>
      <Field label="Servable now">
        <select value={filters.servable} onChange={set('servable')}>
          <option value="">any</option>
          <option value="true">yes</option>
          <option value="false">no</option>
        </select>
      </Field>
      <button type="button" className="secondary" onClick={() => setFilters(NO_FILTERS)} disabled={!active}>
        Clear filters
      </button>
      <datalist id="models-authors">
        {authors.map((author) => (
          <option key={author} value={author} />
        ))}
      </datalist>
      <datalist id="models-countries">
        {countries.map((country) => (
          <option key={country} value={country} />
        ))}
      </datalist>
    </form>
  );
}

function ModelsTable({ models }: { models: ModelListItem[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="models-table">
        <caption className="sr-only">Models matching the filters</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Author</th>
            <th scope="col">Parameters</th>
            <th scope="col">Context</th>
            <th scope="col">Cheapest (in / out per 1M)</th>
            <th scope="col">Hosts</th>
            <th scope="col">Servable</th>
          </tr>
        </thead>
        <tbody>
          {models.map((model) => (
            <tr key={model.id}>
              <td>
                <a href={`#/models/${model.id}`}>{model.name}</a>
                <br />
                <code style={{ color: 'var(--muted)' }}>{model.id}</code>
              </td>
              <td>
                {model.author_name ?? model.author}
                {model.author_country ? (
                  <span className="badge" style={{ marginLeft: '0.35rem' }} title="author's country">
                    {model.author_country}
                  </span>
                ) : null}
                {model.open_weights ? (
                  <span className="badge" style={{ marginLeft: '0.35rem' }} title={model.license ? `license: ${model.license}` : undefined}>
                    open
                  </span>
                ) : null}
              </td>
              <td>{params(model.parameters)}</td>
              <td>{tokens(model.context_length)}</td>
              <td>
                {price(model.pricing.prompt)} / {price(model.pricing.completion)}
              </td>
              <td title={model.providers.join(', ')}>{model.providers.length}</td>
              <td>
                {model.endpoints_available > 0 ? (
                  <span className="badge good">yes · {model.endpoints_available}</span>
                ) : (
                  <span className="badge">no</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ModelList({ filters, setFilters }: { filters: Filters; setFilters: (next: Filters) => void }) {
  const query = useDebounced(queryOf(filters), 250);
  const loaded = useApi(
    () =>
      api<ModelListAnswer>(`/api/v1/models?${query}${query ? '&' : ''}offset=0&limit=${PAGE_SIZE}`).then((answer) => ({ query, answer })),
    [query],
  );
  // The first page (kept on screen while the next query loads) and the pages loaded after it, for the same query only.
  const first = { ...loaded, data: loaded.data?.answer };
  const shownQuery = loaded.data?.query;
  const [more, setMore] = useState<{ query: string; items: ModelListItem[]; next: string | null; loading: boolean; error?: Error }>();
  const [seen, setSeen] = useState<{ authors: string[]; countries: string[] }>({ authors: [], countries: [] });
  const extra = more && more.query === query && shownQuery === query ? more : undefined;
  const models = first.data ? [...new Map([...first.data.data, ...(extra?.items ?? [])].map((model) => [model.id, model])).values()] : [];
  const next = extra ? extra.next : (first.data?.links.next ?? null);

  useEffect(() => {
    if (!first.data) return;
    // Authors and countries seen so far suggest values for the filters.
    setSeen((previous) => ({
      authors: [...new Set([...previous.authors, ...first.data!.data.map((model) => model.author)])].sort(),
      countries: [
        ...new Set([...previous.countries, ...first.data!.data.flatMap((model) => (model.author_country ? [model.author_country] : []))]),
      ].sort(),
    }));
  }, [loaded.data]);

  const loadMore = () => {
    if (!next) return;
    setMore({ query, items: extra?.items ?? [], next, loading: true });
    api<ModelListAnswer>(next).then(
      (page) => setMore({ query, items: [...(extra?.items ?? []), ...page.data], next: page.links.next, loading: false }),
      (error: Error) => setMore({ query, items: extra?.items ?? [], next, loading: false, error }),
    );
  };

  return (
    <>
      <h1>Models</h1>
      <FilterForm filters={filters} setFilters={setFilters} authors={seen.authors} countries={seen.countries} />
      {first.error ? (
        <ErrorBox error={first.error} retry={first.reload} />
      ) : !first.data ? (
        <Loading what="models" />
      ) : first.data.total_count === 0 ? (
        <Empty>
          {query ? (
            <>
              <strong>No model matches these filters.</strong>{' '}
              <button type="button" className="secondary" onClick={() => setFilters(NO_FILTERS)}>
                Clear filters
              </button>
            </>
          ) : (
            <>
              <strong>The catalog is empty.</strong> Add models to the config file, or import a catalog source with{' '}
              <code>agora models sync</code>.
            </>
          )}
        </Empty>
      ) : (
        <>
          <p role="status" aria-live="polite" style={{ color: 'var(--muted)' }}>
            {count(first.data.total_count)} model{first.data.total_count === 1 ? '' : 's'}
            {query ? ' match' : ' in the catalog'}; showing {count(models.length)}.{first.loading ? ' Updating…' : ''}
          </p>
          <ModelsTable models={models} />
          {extra?.error ? <ErrorBox error={extra.error} retry={loadMore} /> : null}
          {next ? (
            <p>
              <button type="button" onClick={loadMore} disabled={extra?.loading}>
                {extra?.loading ? 'Loading…' : `Show ${PAGE_SIZE} more`}
              </button>
            </p>
          ) : null}
        </>
      )}
    </>
  );
}

export default function Models({ rest, signedIn }: PageProps) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [rest]);
  return rest ? (
    <Suspense fallback={<Loading what="the model" />}>
      <ModelDetail id={rest} signedIn={signedIn} />
    </Suspense>
  ) : (
    <ModelList filters={filters} setFilters={setFilters} />
  );
}
