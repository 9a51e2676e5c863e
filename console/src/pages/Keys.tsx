/**
 * Keys and usage: the signed-in key (usage today, this week and month, its limits and rate limit)
 * and its account's credit; for an admin key, every key (create, disable, top up); spend and tokens
 * over time and the generation log with each record's attempts.
 */
import { api, hasKey } from '../api.js';
import { Show, SignInFirst, ifSignedIn, money, usd, useApi } from '../ui.js';
import { KeysAdmin } from './KeysAdmin.js';
import { UsageSection } from './KeysUsage.js';
import type { PageProps } from './props.js';
import './Keys.css';

interface CurrentKey {
  label: string;
  name: string;
  is_admin: boolean;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  limit: number | null;
  limit_remaining: number | null;
  limit_reset: string | null;
  limit_daily: number | null;
  limit_monthly: number | null;
  workspace_id: string | null;
  rate_limit: { requests: number; interval: string; tokens_per_minute: number | null };
}

interface Credits {
  total_credits: number;
  total_usage: number;
  balance: number | null;
  reserved?: number;
  account_id?: string;
  mode: string;
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <div className="fact">
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export default function Keys(props: PageProps) {
  const signedIn = hasKey(props.signedIn);
  const key = useApi(() => ifSignedIn(signedIn, () => api<{ data: CurrentKey }>('/api/v1/key')), [signedIn]);
  const credits = useApi(() => ifSignedIn(signedIn, () => api<{ data: Credits }>('/api/v1/credits')), [signedIn]);
  if (!signedIn) {
    return (
      <>
        <h1>Keys &amp; usage</h1>
        <SignInFirst what="your key's usage, limits and generations" />
      </>
    );
  }
  const admin = key.data?.data.is_admin === true;
  return (
    <>
      <h1>Keys &amp; usage</h1>
      <div className="grid">
        <section className="card" aria-labelledby="this-key-title">
          <h2 id="this-key-title">This key</h2>
          <Show loaded={key} what="your key">
            {({ data }) => (
              <dl className="facts" data-testid="current-key">
                <Fact term="Name" value={`${data.name}${data.is_admin ? ' (admin)' : ''}`} />
                <Fact term="Key" value={data.label} />
                <Fact
                  term="Used today / this week / this month"
                  value={`${money(data.usage_daily)} / ${money(data.usage_weekly)} / ${money(data.usage_monthly)}`}
                />
                <Fact term="Used in all" value={money(data.usage)} />
                <Fact
                  term="Limits (total / daily / monthly)"
                  value={[
                    data.limit_reset === null && data.limit !== null ? usd(data.limit, 2) : 'none',
                    data.limit_daily === null ? 'none' : usd(data.limit_daily, 2),
                    data.limit_monthly === null ? 'none' : usd(data.limit_monthly, 2),
                  ].join(' / ')}
                />
                <Fact term="May still spend" value={data.limit_remaining === null ? 'no limit' : money(data.limit_remaining)} />
                <Fact
                  term="Rate limit"
                  value={`${data.rate_limit.requests < 0 ? 'no request limit' : `${data.rate_limit.requests} requests/min`}${data.rate_limit.tokens_per_minute ? `, ${data.rate_limit.tokens_per_minute} tokens/min` : ''}`}
                />
              </dl>
            )}
          </Show>
        </section>
        <section className="card" aria-labelledby="credits-title">
          <h2 id="credits-title">Credit</h2>
          <Show loaded={credits} what="credit">
            {({ data }) =>
              data.account_id === undefined ? (
                <p className="muted" data-testid="credits">
                  This key has no account: its spending is bounded by its own limits only (mode: {data.mode}).
                </p>
              ) : (
                <dl className="facts" data-testid="credits">
                  <Fact term="Account" value={`${data.account_id} (${data.mode})`} />
                  <Fact term="Balance" value={data.balance === null ? '–' : money(data.balance)} />
                  <Fact term="Credited in all" value={money(data.total_credits)} />
                  <Fact term="Spent in all" value={money(data.total_usage)} />
                  {data.reserved ? <Fact term="Reserved for requests in flight" value={money(data.reserved)} /> : null}
                </dl>
              )
            }
          </Show>
        </section>
      </div>
      {admin ? <KeysAdmin currentLabel={key.data?.data.label} onCreditChanged={credits.reload} /> : null}
      {key.data && !admin ? <p className="muted">Creating and disabling keys and topping up credit need an admin key.</p> : null}
      <UsageSection admin={admin} />
    </>
  );
}
