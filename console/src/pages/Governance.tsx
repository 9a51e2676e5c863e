/**
 * Governance: the policies in force (admin), a policy check (what a request for a model from a
 * region would get, endpoint by endpoint, and the compliant alternatives, without calling a model)
 * and the audit log of decisions, filtered by key, rule and outcome (admin). An ordinary key checks
 * itself; the admin-only parts say so instead of failing.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, type AuditEntry, type PolicyCheck, type PolicyFile, hasKey } from '../api.js';
import { AdminOnly, Empty, ErrorBox, Loading, SignInFirst, isForbidden, perMillion, useApi, type Loaded, TableHead } from '../ui.js';
import type { PageProps } from './props.js';
import './Governance.css';

type Policy = PolicyFile & { source: 'config' | 'admin' };
type Check = Omit<PolicyCheck, 'endpoints' | 'alternatives'> & {
  key: string;
  endpoints: Array<PolicyCheck['endpoints'][number] & { endpoint: string }>;
  alternatives: Array<PolicyCheck['alternatives'][number] & { context_length: number | null }>;
};
type Audit = AuditEntry & { region_source: string; refused_endpoints: number };

const list = (items: readonly string[] | undefined): string => (items && items.length > 0 ? items.join(', ') : '');

/** A policy's rules in a line each: what it allows and refuses. */
export function ruleLines(policy: PolicyFile): string[] {
  const lines: string[] = [];
  const applies = policy.applies_to;
  if (applies && (applies.models || applies.providers || applies.authors)) {
    lines.push(
      `applies to ${[
        applies.models ? `models ${list(applies.models)}` : '',
        applies.providers ? `providers ${list(applies.providers)}` : '',
        applies.authors ? `authors ${list(applies.authors)}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
  if (policy.client_regions) {
    const rule = policy.client_regions;
    lines.push(
      `client regions: ${rule.allow ? `only ${list(rule.allow)}` : `not ${list(rule.deny)}`}${rule.unknown ? ` (unknown: ${rule.unknown})` : ''}`,
    );
  }
  if (policy.provider_countries) {
    const rule = policy.provider_countries;
    lines.push(`provider countries: ${rule.allow ? `only ${list(rule.allow)}` : `not ${list(rule.deny)}`}`);
  }
  if (policy.datacenter_regions) lines.push(`data centres only in ${list(policy.datacenter_regions.allow)}`);
  if (policy.deny_authors) lines.push(`no models by ${list(policy.deny_authors)}`);
  if (policy.deny_author_countries) lines.push(`no models by authors from ${list(policy.deny_author_countries)}`);
  if (policy.require_zdr) lines.push('zero data retention required');
  if (policy.no_training) lines.push('no training on prompts');
  if (policy.max_price) {
    const { prompt, completion } = policy.max_price;
    lines.push(
      `price at most ${[prompt !== undefined ? `$${prompt} prompt` : '', completion !== undefined ? `$${completion} completion` : ''].filter(Boolean).join(', ')} per 1M`,
    );
  }
  return lines.length > 0 ? lines : ['no rules'];
}

function AdminSection<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (data: T) => ReactNode }) {
  if (loaded.error)
    return isForbidden(loaded.error) ? (
      <AdminOnly error={loaded.error} what={what} />
    ) : (
      <ErrorBox error={loaded.error} retry={loaded.reload} />
    );
  if (loaded.data === undefined) return <Loading what={what.toLowerCase()} />;
  return <>{children(loaded.data)}</>;
}

function Policies({ signedIn }: { signedIn: boolean }) {
  const policies = useApi(() => api<{ data: Policy[] }>('/api/v1/policies'), [signedIn]);
  return (
    <section className="card" aria-labelledby="policies-title">
      <h2 id="policies-title">Policies in force</h2>
      <AdminSection loaded={policies} what="Policies">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>
              No policy is in force: every endpoint serves every client. Add policies under <code>policies:</code> in the config file or
              with <code>POST /api/v1/policies</code>.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="policies-table">
                <caption className="sr-only">Governance policies in force</caption>
                <TableHead columns={['Policy', 'Scope', 'Rules', 'Source']} />
                <tbody>
                  {data.map((policy) => (
                    <tr key={policy.id}>
                      <td className="wrap">
                        <strong>{policy.id}</strong>
                        {policy.description ? <div className="muted">{policy.description}</div> : null}
                      </td>
                      <td>{policy.scope}</td>
                      <td className="wrap">
                        <ul className="rules">
                          {ruleLines(policy).map((line) => (
                            <li key={line}>{line}</li>
                          ))}
                        </ul>
                      </td>
                      <td>
                        <span className="badge">{policy.source === 'config' ? 'config file' : 'admin API'}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </AdminSection>
    </section>
  );
}

function CheckResult({ check }: { check: Check }) {
  return (
    <div data-testid="check-result" className="check-result" role="status">
      <p className={`notice ${check.allowed ? 'good' : 'bad'}`}>
        <strong>
          {check.model}: {check.allowed ? 'allowed' : 'refused'}
        </strong>{' '}
        for key <code>{check.key}</code> from region <strong>{check.region}</strong> ({check.region_source}).{' '}
        {check.reason ? `${check.reason[0]!.toUpperCase()}${check.reason.slice(1)}. ` : ''}
        Policies applied: {check.policies.length > 0 ? check.policies.join(', ') : 'none'}.
      </p>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Each endpoint of {check.model}</caption>
          <TableHead columns={['Provider', 'Decision', 'Rule', 'Policy', 'Scope', 'Detail']} />
          <tbody>
            {check.endpoints.map((endpoint) => (
              <tr key={endpoint.endpoint ?? endpoint.provider}>
                <td>{endpoint.provider}</td>
                <td>
                  {endpoint.allowed ? <span className="badge good">allowed</span> : <span className="badge bad">refused</span>}
                  {endpoint.enabled ? null : <span className="badge"> off (no key)</span>}
                </td>
                <td>{endpoint.rule ?? '–'}</td>
                <td>{endpoint.policy ?? '–'}</td>
                <td>{endpoint.scope ?? '–'}</td>
                <td className="wrap">{endpoint.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {check.alternatives.length > 0 ? (
        <>
          <h3>Compliant alternatives</h3>
          <div className="table-wrap">
            <table data-testid="check-alternatives">
              <TableHead columns={['Model', 'Provider', { label: 'Prompt / 1M', num: true }, { label: 'Completion / 1M', num: true }]} />
              <tbody>
                {check.alternatives.map((alternative) => (
                  <tr key={`${alternative.model}@${alternative.provider}`}>
                    <td>
                      <a href={`#/models/${alternative.model}`}>{alternative.model}</a>
                    </td>
                    <td>{alternative.provider}</td>
                    <td className="num">{perMillion(alternative.prompt / 1e6)}</td>
                    <td className="num">{perMillion(alternative.completion / 1e6)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : !check.allowed ? (
        <p className="muted">No compliant alternative in the catalog.</p>
      ) : null}
    </div>
  );
}

function CheckForm({ signedIn }: { signedIn: boolean }) {
  const models = useApi(() => api<{ data: Array<{ id: string }> }>('/v1/models?all=true'), [signedIn]);
  const [model, setModel] = useState('');
  const [region, setRegion] = useState('');
  const [key, setKey] = useState('');
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<{ check?: Check; error?: Error } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!model.trim()) {
      setResult({ error: new Error('Name a model to check, e.g. deepseek/deepseek-r1.') });
      return;
    }
    setPending(true);
    try {
      const query = new URLSearchParams({ model: model.trim() });
      if (region.trim()) query.set('region', region.trim());
      if (key.trim()) query.set('key', key.trim());
      setResult({ check: await api<Check>(`/api/v1/policy/check?${query.toString()}`) });
    } catch (caught) {
      setResult({ error: caught instanceof Error ? caught : new Error(String(caught)) });
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="check-title">
      <h2 id="check-title">Policy check</h2>
      <p className="muted">What a request would get, endpoint by endpoint, without calling a model.</p>
      <form className="form-row" onSubmit={submit}>
        <label htmlFor="check-model">
          Model
          <input
            id="check-model"
            data-testid="check-model"
            list="check-models"
            value={model}
            placeholder="author/model"
            autoComplete="off"
            onChange={(event) => setModel(event.target.value)}
          />
          <datalist id="check-models">
            {(models.data?.data ?? []).map((item) => (
              <option key={item.id} value={item.id} />
            ))}
          </datalist>
        </label>
        <label htmlFor="check-region">
          Client region
          <input
            id="check-region"
            data-testid="check-region"
            value={region}
            size={10}
            maxLength={7}
            placeholder="DE, US, unknown"
            aria-describedby="check-region-help"
            onChange={(event) => setRegion(event.target.value)}
          />
        </label>
        <label htmlFor="check-key">
          Key id (optional)
          <input
            id="check-key"
            data-testid="check-key"
            value={key}
            placeholder="your own"
            aria-describedby="check-key-help"
            autoComplete="off"
            onChange={(event) => setKey(event.target.value)}
          />
        </label>
        <button type="submit" data-testid="check-submit" disabled={pending}>
          {pending ? 'Checking…' : 'Check'}
        </button>
      </form>
      <p className="muted small" id="check-region-help">
        A two-letter country code; left empty, your own request's region is used.{' '}
        <span id="check-key-help">Another key's id needs an admin key; left empty, your key is checked.</span>
      </p>
      {result?.error ? <ErrorBox error={result.error} /> : null}
      {result?.check ? <CheckResult check={result.check} /> : null}
    </section>
  );
}

interface AuditFilters {
  key: string;
  rule: string;
  outcome: '' | 'allowed' | 'refused';
  limit: string;
}

function AuditLog({ signedIn }: { signedIn: boolean }) {
  const [draft, setDraft] = useState<AuditFilters>({ key: '', rule: '', outcome: '', limit: '100' });
  const [filters, setFilters] = useState<AuditFilters>(draft);
  const audit = useApi(() => {
    const query = new URLSearchParams({ limit: filters.limit || '100' });
    if (filters.key.trim()) query.set('key', filters.key.trim());
    if (filters.rule.trim()) query.set('rule', filters.rule.trim());
    if (filters.outcome) query.set('outcome', filters.outcome);
    return api<{ data: Audit[] }>(`/api/v1/audit?${query.toString()}`);
  }, [filters, signedIn]);
  const forbidden = isForbidden(audit.error);
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {forbidden ? null : (
        <form
          className="form-row"
          onSubmit={(event) => {
            event.preventDefault();
            setFilters(draft);
          }}
        >
          <label htmlFor="audit-key">
            Key id
            <input
              id="audit-key"
              data-testid="audit-key"
              value={draft.key}
              onChange={(event) => setDraft({ ...draft, key: event.target.value })}
            />
          </label>
          <label htmlFor="audit-rule">
            Rule
            <input
              id="audit-rule"
              data-testid="audit-rule"
              value={draft.rule}
              placeholder="e.g. max_price"
              onChange={(event) => setDraft({ ...draft, rule: event.target.value })}
            />
          </label>
          <label htmlFor="audit-outcome">
            Outcome
            <select
              id="audit-outcome"
              data-testid="audit-outcome"
              value={draft.outcome}
              onChange={(event) => setDraft({ ...draft, outcome: event.target.value as AuditFilters['outcome'] })}
            >
              <option value="">any</option>
              <option value="allowed">allowed</option>
              <option value="refused">refused</option>
            </select>
          </label>
          <label htmlFor="audit-limit">
            Show
            <select id="audit-limit" value={draft.limit} onChange={(event) => setDraft({ ...draft, limit: event.target.value })}>
              {['50', '100', '500', '1000'].map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" data-testid="audit-submit">
            Filter
          </button>
        </form>
      )}
      <AdminSection loaded={audit} what="The audit log and its filters">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>
              No decision matches. The log records requests a policy applied to or refused
              {filters.key || filters.rule || filters.outcome ? '; try fewer filters' : ''}.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="audit-table">
                <caption className="sr-only">Governance decisions, newest first</caption>
                <TableHead columns={['Time', 'Outcome', 'Key', 'Model', 'Region', 'Rule', 'Policy', 'Applied', 'Detail']} />
                <tbody>
                  {data.map((row) => (
                    <tr key={row.id}>
                      <td title={row.created_at}>{new Date(row.created_at).toLocaleString()}</td>
                      <td>
                        <span className={`badge ${row.outcome === 'allowed' ? 'good' : 'bad'}`}>{row.outcome}</span>
                      </td>
                      <td>{row.key_id ?? '–'}</td>
                      <td>{row.model}</td>
                      <td title={row.region_source}>{row.region}</td>
                      <td>{row.rule ?? '–'}</td>
                      <td>
                        {row.policy ?? '–'}
                        {row.scope ? <span className="muted"> ({row.scope})</span> : null}
                      </td>
                      <td>{row.applied.length > 0 ? row.applied.join(', ') : '–'}</td>
                      <td className="wrap">{row.detail ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </AdminSection>
    </section>
  );
}

export default function Governance(props: PageProps) {
  const signedIn = hasKey(props.signedIn);
  if (!signedIn) {
    return (
      <>
        <h1>Governance</h1>
        <SignInFirst what="policies, run a policy check and read the audit log" />
      </>
    );
  }
  return (
    <>
      <h1>Governance</h1>
      <Policies signedIn={signedIn} />
      <CheckForm signedIn={signedIn} />
      <AuditLog signedIn={signedIn} />
    </>
  );
}
