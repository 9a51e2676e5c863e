/**
 * GET /api/v1/rankings?by=model|author|country|provider|app|key|account&period=day|week|month
 *   &metric=tokens|requests|cost[&from=&to=][&series=day|hour][&limit=N]
 * Market share of the traffic the caller may see: an ordinary key its own account's (or its own, for
 * a key without an account), an admin key the whole gateway. `by=account` is for admin keys only.
 * Authors carry their country, from the catalog.
 */
import type { Exchange } from '../gateway.js';
import { authenticate } from '../http/auth.js';
import { sendJson } from '../http/respond.js';
import { forbidden } from '../contract/errors.js';
import { parseRankingsQuery, rankings } from '../rankings/query.js';
import { ALL_ACCOUNTS } from '../rankings/rollup.js';

export async function rankingsRoute(exchange: Exchange): Promise<void> {
  const { gateway } = exchange;
  const key = await authenticate(exchange.request.headers, gateway.keys);
  const query = parseRankingsQuery((name) => exchange.query.get(name));
  if (query.by === 'account' && !key.isAdmin) throw forbidden('Rankings by account need an admin key; yours shows its own account.');
  const account = key.isAdmin ? ALL_ACCOUNTS : (key.accountId ?? `key:${key.id}`);
  const answer = await rankings(gateway.admin.rollups, account, query);
  if (query.by === 'author') {
    const authors = gateway.catalog.config.authors;
    for (const row of answer.data) Object.assign(row, { country: authors.get(row.name)?.country ?? null });
  }
  sendJson(exchange.response, 200, { ...answer, scope: key.isAdmin ? 'gateway' : 'account' });
}
