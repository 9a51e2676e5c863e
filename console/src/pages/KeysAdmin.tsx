/**
 * Key administration (admin keys): every key with its usage and limits, a form that creates one
 * (its secret shown once, with a copy button), disabling and re-enabling, and topping up an
 * account's credit (POST /api/v1/credits/topup with an idempotency key, so a double click counts once).
 */
import { useState, type FormEvent } from 'react';
import { api, type KeyRow } from '../api.js';
import { CopyButton, Empty, ErrorBox, Show, count, money, usd, useApi, TableHead } from '../ui.js';

export interface KeyView extends KeyRow {
  id: string;
  account_id: string | null;
  account_mode: string | null;
  admin: boolean;
  limit_remaining: number | null;
  limit_reset: string | null;
  limit_daily: number | null;
  limit_monthly: number | null;
  usage_daily: number;
  usage_monthly: number;
  rate_limit: { requests_per_minute: number | null; tokens_per_minute: number | null };
}

function optionalUsd(text: string, field: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${field} must be a number of USD, 0 or more.`);
  return value;
}

function idempotencyKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [limit, setLimit] = useState('');
  const [credit, setCredit] = useState('');
  const [admin, setAdmin] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [created, setCreated] = useState<{ key: string; name: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setPending(true);
    try {
      const body: Record<string, unknown> = { name: name.trim() || 'unnamed' };
      const limitUsd = optionalUsd(limit, 'Limit');
      const creditUsd = optionalUsd(credit, 'Opening credit');
      if (limitUsd !== undefined) body.limit = limitUsd;
      if (creditUsd !== undefined) body.credit = creditUsd;
      if (admin) body.admin = true;
      const answer = await api<{ key: string; data: KeyView }>('/api/v1/keys', { method: 'POST', json: body });
      setCreated({ key: answer.key, name: answer.data.name });
      setName('');
      setLimit('');
      setCredit('');
      setAdmin(false);
      onCreated();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      <form className="form-row" onSubmit={submit}>
        <label htmlFor="new-key-name">
          Name
          <input
            id="new-key-name"
            data-testid="new-key-name"
            value={name}
            maxLength={200}
            placeholder="e.g. team-search"
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label htmlFor="new-key-limit">
          Spend limit (USD, total)
          <input
            id="new-key-limit"
            type="number"
            min={0}
            step="any"
            inputMode="decimal"
            value={limit}
            placeholder="none"
            onChange={(event) => setLimit(event.target.value)}
          />
        </label>
        <label htmlFor="new-key-credit">
          Opening credit (USD, prepaid account)
          <input
            id="new-key-credit"
            type="number"
            min={0}
            step="any"
            inputMode="decimal"
            value={credit}
            placeholder="none"
            onChange={(event) => setCredit(event.target.value)}
          />
        </label>
        <label className="check" htmlFor="new-key-admin">
          <input id="new-key-admin" type="checkbox" checked={admin} onChange={(event) => setAdmin(event.target.checked)} /> Admin key
        </label>
        <button type="submit" data-testid="create-key" disabled={pending}>
          {pending ? 'Creating…' : 'Create key'}
        </button>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {created ? (
        <div className="notice good created-key" role="status">
          <p>
            <strong>Key “{created.name}” created.</strong> Copy it now: it is shown only once and cannot be read back.
          </p>
          <div className="secret">
            <code data-testid="created-key">{created.key}</code>
            <CopyButton text={created.key} />
            <button type="button" className="secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

function DisableButton({ row, onChanged }: { row: KeyView; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function apply(disabled: boolean) {
    setPending(true);
    setError(null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(row.hash)}`, { method: 'PATCH', json: { disabled } });
      setConfirming(false);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setPending(false);
    }
  }
  if (row.disabled)
    return (
      <span className="row-actions">
        <button type="button" className="secondary small" disabled={pending} onClick={() => void apply(false)}>
          Enable
        </button>
        {error ? <span className="bad-text">{error}</span> : null}
      </span>
    );
  return (
    <span className="row-actions">
      {confirming ? (
        <>
          <button type="button" className="danger small" disabled={pending} onClick={() => void apply(true)}>
            Confirm disable
          </button>
          <button type="button" className="secondary small" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" className="secondary small" aria-label={`Disable key ${row.name}`} onClick={() => setConfirming(true)}>
          Disable
        </button>
      )}
      {error ? <span className="bad-text">{error}</span> : null}
    </span>
  );
}

function KeysTable({ rows, currentLabel, onChanged }: { rows: KeyView[]; currentLabel: string | undefined; onChanged: () => void }) {
  return (
    <div className="table-wrap">
      <table data-testid="keys-table">
        <caption className="sr-only">Every key of the gateway</caption>
        <TableHead
          columns={[
            'Name',
            'Key',
            'Status',
            'Account',
            { label: 'Used (total / month / today)', num: true },
            { label: 'Limit', num: true },
            { label: 'Remaining', num: true },
            'Created',
            <span className="sr-only">Actions</span>,
          ]}
        />
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={9} className="muted">
                No stored keys yet (the master key from the environment is not listed). Create one above.
              </td>
            </tr>
          ) : null}
          {rows.map((row) => (
            <tr key={row.hash}>
              <td>
                {row.name}
                {row.admin ? <span className="badge"> admin</span> : null}
                {row.label === currentLabel ? <span className="muted"> (this key)</span> : null}
              </td>
              <td>
                <code>{row.label}</code>
              </td>
              <td>{row.disabled ? <span className="badge bad">disabled</span> : <span className="badge good">active</span>}</td>
              <td className="wrap">{row.account_id ? `${row.account_id} (${row.account_mode ?? '?'})` : '–'}</td>
              <td className="num">
                {money(row.usage)} / {money(row.usage_monthly)} / {money(row.usage_daily)}
              </td>
              <td className="num">{row.limit === null ? 'none' : `${usd(row.limit, 2)}${row.limit_reset ? ` ${row.limit_reset}` : ''}`}</td>
              <td className="num">{row.limit_remaining === null ? '–' : money(row.limit_remaining)}</td>
              <td title={row.created_at}>{row.created_at.slice(0, 10)}</td>
              <td>
                <DisableButton row={row} onChanged={onChanged} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TopUp({ rows, onDone }: { rows: KeyView[]; onDone: () => void }) {
  const accounts = rows.filter((row) => row.account_id !== null);
  const [keyId, setKeyId] = useState('');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<{ account_id: string; amount: number; balance: number; duplicate: boolean } | null>(null);
  const chosen = keyId || accounts[0]?.hash || '';

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setResult(null);
    const value = Number(amount);
    if (amount.trim() === '' || !Number.isFinite(value) || value === 0) {
      setError(new Error('Enter an amount in USD (negative to take credit back).'));
      return;
    }
    setPending(true);
    try {
      const answer = await api<{ data: { account_id: string; amount: number; balance: number; duplicate: boolean } }>(
        '/api/v1/credits/topup',
        {
          method: 'POST',
          json: { key_id: chosen, amount: value, idempotency_key: idempotencyKey(), ...(note.trim() ? { note: note.trim() } : {}) },
        },
      );
      setResult(answer.data);
      setAmount('');
      setNote('');
      onDone();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="topup-title">
      <h2 id="topup-title">Top up credit</h2>
      {accounts.length === 0 ? (
        <Empty>
          No key has an account yet, so there is no credit to top up. Create a key with an opening credit: it gets a prepaid account.
        </Empty>
      ) : (
        <form className="form-row" onSubmit={submit}>
          <label htmlFor="topup-key">
            Account (by its key)
            <select id="topup-key" value={chosen} onChange={(event) => setKeyId(event.target.value)}>
              {accounts.map((row) => (
                <option key={row.hash} value={row.hash}>
                  {row.name} · {row.account_id} ({row.account_mode ?? '?'})
                </option>
              ))}
            </select>
          </label>
          <label htmlFor="topup-amount">
            Amount (USD)
            <input
              id="topup-amount"
              data-testid="topup-amount"
              type="number"
              step="any"
              inputMode="decimal"
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
            />
          </label>
          <label htmlFor="topup-note">
            Note
            <input id="topup-note" value={note} maxLength={500} onChange={(event) => setNote(event.target.value)} />
          </label>
          <button type="submit" data-testid="topup-submit" disabled={pending}>
            {pending ? 'Crediting…' : 'Top up'}
          </button>
        </form>
      )}
      {error ? <ErrorBox error={error} /> : null}
      {result ? (
        <p className="notice good" role="status" data-testid="topup-result">
          {result.duplicate ? 'Already applied (a repeated request). ' : ''}
          {usd(result.amount, 2)} credited to {result.account_id}; its balance is now {money(result.balance)}.
        </p>
      ) : null}
    </section>
  );
}

export function KeysAdmin({ currentLabel, onCreditChanged }: { currentLabel: string | undefined; onCreditChanged: () => void }) {
  const keys = useApi(() => api<{ data: KeyView[] }>('/api/v1/keys'), []);
  return (
    <>
      <CreateKey onCreated={keys.reload} />
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys {keys.data ? <span className="muted">({count(keys.data.data.length)})</span> : null}</h2>
        <Show loaded={keys} what="keys">
          {({ data }) => <KeysTable rows={data} currentLabel={currentLabel} onChanged={keys.reload} />}
        </Show>
      </section>
      {keys.data ? (
        <TopUp
          rows={keys.data.data}
          onDone={() => {
            keys.reload();
            onCreditChanged();
          }}
        />
      ) : null}
    </>
  );
}
