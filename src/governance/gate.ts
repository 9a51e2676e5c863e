/**
 * Governance on the request path. `Governance` holds the policies in force (the config file's and
 * those written through the admin API, reloaded when another instance changes them) and hands each
 * request a `PolicyGate`: its client region, the policies in scope for its key, and a memo of which
 * endpoints they refuse. Gates with the same policies and region share one memo per catalog
 * snapshot, so the steady-state cost of a request is a region lookup, a map lookup, and one memo
 * read per endpoint considered.
 *
 * A request that policies leave without an endpoint is refused with 403 naming the rule, its scope
 * and the compliant alternatives (other hosts of the model, else models of similar price and context
 * that these policies allow). Decisions where a policy applied or an endpoint was refused go to the
 * audit log (batched, off the request path).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { KeyRecord } from '../catalog/key-directory.js';
import type { CatalogEndpoint, CatalogSnapshot } from '../catalog/snapshot.js';
import type { PolicyFile } from '../config/schema.js';
import { policySchema } from '../config/schema.js';
import { AgoraError } from '../contract/errors.js';
import { randomBase62 } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Exclusion, PolicyGateLike } from '../routing/filters.js';
import type { NewAuditRow, StoredPolicy } from '../store/repos/policies.js';
import { evaluate, PolicySet, UNKNOWN_REGION, type CompiledPolicy, type Refusal } from './policy.js';

export interface RegionLookup {
  resolve(input: { headers: IncomingHttpHeaders; remoteAddress: string | undefined; keyRegion?: string | null }): {
    region: string;
    source: string;
  };
}

export interface PolicySource {
  version(): Promise<number>;
  all(): Promise<StoredPolicy[]>;
}

export interface GovernanceOptions {
  /** The config file's policies. */
  configured: readonly PolicyFile[];
  regions: RegionLookup;
  snapshot: () => CatalogSnapshot;
  audit: (row: NewAuditRow) => void;
  store?: PolicySource | undefined;
  refreshMs?: number;
  logger: Logger;
}

export interface Alternative {
  model: string;
  provider: string;
  /** USD per 1M tokens. */
  prompt: number;
  completion: number;
  context_length: number | null;
}

/** A policy with where it was written. */
export interface ListedPolicy {
  policy: PolicyFile;
  source: 'config' | 'admin';
}

/**
 * What every request of one scope (policies in force) and client region shares: the policies, the
 * `x-agora-policy` header, and each endpoint's verdict by ordinal (computed on first use; `null`
 * means allowed), valid for one catalog snapshot.
 */
export interface GateScope {
  policies: readonly CompiledPolicy[];
  applied: readonly string[];
  appliedText: string;
  header: string;
  verdicts: Array<Refusal | null | undefined>;
}

export class Governance {
  private set: PolicySet;
  private stored: PolicyFile[] = [];
  private version = -1;
  private scopes = new Map<string, GateScope>();
  private scopesOf: CatalogSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly auditPrefix = `aud_${randomBase62(10)}`;
  private audits = 0;

  constructor(private readonly options: GovernanceOptions) {
    this.set = new PolicySet(options.configured, 0);
  }

  /** Reads the stored policies (at start, and after a change). */
  async load(): Promise<void> {
    if (!this.options.store) return;
    this.version = await this.options.store.version();
    this.install(await this.options.store.all());
  }

  /** Looks for a change made by another instance every `refreshMs`. */
  start(): void {
    if (!this.options.store || this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.options.logger.warn('reloading policies failed', { error: String(error) }));
    }, this.options.refreshMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** True when a newer set of stored policies was installed. */
  async refresh(): Promise<boolean> {
    if (!this.options.store) return false;
    const version = await this.options.store.version();
    if (version === this.version) return false;
    this.version = version;
    this.install(await this.options.store.all());
    return true;
  }

  private install(rows: StoredPolicy[]): void {
    const stored: PolicyFile[] = [];
    const configured = new Set(this.options.configured.map((policy) => policy.id));
    for (const row of rows) {
      const parsed = policySchema.safeParse(JSON.parse(row.body));
      if (!parsed.success || configured.has(parsed.data.id)) {
        this.options.logger.warn('a stored policy is ignored', {
          id: row.id,
          reason: parsed.success ? 'the config file defines the same id' : parsed.error.issues[0]?.message,
        });
        continue;
      }
      stored.push(parsed.data);
    }
    this.stored = stored;
    this.set = new PolicySet([...this.options.configured, ...stored], this.set.version + 1);
    this.scopes = new Map();
  }

  list(): ListedPolicy[] {
    return [
      ...this.options.configured.map((policy): ListedPolicy => ({ policy, source: 'config' })),
      ...this.stored.map((policy): ListedPolicy => ({ policy, source: 'admin' })),
    ];
  }

  isConfigured(id: string): boolean {
    return this.options.configured.some((policy) => policy.id === id);
  }

  /** The gate of one request: its region (trusted header, GeoIP, the key's own) and its key's policies. */
  gate(headers: IncomingHttpHeaders, remoteAddress: string | undefined, key: KeyRecord): PolicyGate {
    const { region, source } = this.options.regions.resolve({ headers, remoteAddress, keyRegion: key.region });
    return this.gateFor(region, source, key.id, key.accountId);
  }

  /** A gate for an explicit region and key (dry runs, tests). */
  gateFor(region: string, source: string, keyId: string | null, accountId: string | null): PolicyGate {
    const snapshot = this.options.snapshot();
    if (snapshot !== this.scopesOf) {
      this.scopes = new Map();
      this.scopesOf = snapshot;
    }
    const set = this.set;
    const scoped = set.isScoped(keyId, accountId);
    const signature = scoped ? `${accountId ?? ''}\u0000${keyId ?? ''}\u0000${region}` : region;
    let scope = this.scopes.get(signature);
    if (!scope) {
      if (this.scopes.size > 10_000) this.scopes = new Map();
      const policies = set.applicable(keyId, accountId);
      const applied = policies.map((policy) => policy.id);
      const appliedText = applied.join(',');
      scope = {
        policies,
        applied,
        appliedText,
        header: `${applied.length > 0 ? applied.join(', ') : 'none'}; region=${region}`,
        verdicts: new Array<Refusal | null | undefined>(snapshot.endpointCount),
      };
      this.scopes.set(signature, scope);
    }
    return new PolicyGate(this, region, source, keyId, accountId, scope);
  }

  /** @internal */
  nextAuditId(): string {
    return `${this.auditPrefix}${(this.audits++).toString(36)}`;
  }

  /** @internal */
  audit(row: NewAuditRow): void {
    this.options.audit(row);
  }

  /** @internal */
  record(row: Omit<NewAuditRow, 'id' | 'created_at'>): void {
    this.options.audit({ id: this.nextAuditId(), created_at: Date.now(), ...row });
  }

  /** @internal */
  snapshot(): CatalogSnapshot {
    return this.options.snapshot();
  }
}

export class PolicyGate implements PolicyGateLike {
  private refusals = 0;
  private firstRefusal: Refusal | undefined;

  constructor(
    private readonly governance: Governance,
    readonly region: string,
    readonly regionSource: string,
    readonly keyId: string | null,
    readonly accountId: string | null,
    private readonly scope: GateScope,
  ) {}

  /** Policy ids in force, as `x-agora-policy` names them. */
  get applied(): readonly string[] {
    return this.scope.applied;
  }

  get policies(): readonly CompiledPolicy[] {
    return this.scope.policies;
  }

  refusal(entry: CatalogEndpoint): Refusal | undefined {
    const verdicts = this.scope.verdicts;
    let found = verdicts[entry.ordinal];
    if (found === undefined) {
      found = evaluate(entry, this.region, this.scope.policies) ?? null;
      verdicts[entry.ordinal] = found;
    }
    if (found === null) return undefined;
    this.refusals++;
    this.firstRefusal ??= found;
    return found;
  }

  /** The `x-agora-policy` header: the policies applied (or none), and the client region they were applied for. */
  get header(): string {
    return this.scope.header;
  }

  /** Audits an allowed request when a policy was in force or an endpoint was refused. */
  allowed(model: string): void {
    if (this.scope.applied.length === 0 && this.refusals === 0) return;
    const refusal = this.firstRefusal;
    this.governance.audit({
      id: this.governance.nextAuditId(),
      created_at: Date.now(),
      key_id: this.keyId,
      account_id: this.accountId,
      model,
      region: this.region,
      region_source: this.regionSource,
      outcome: 'allowed',
      rule: refusal?.rule ?? null,
      policy: refusal?.policy ?? null,
      scope: refusal?.scope ?? null,
      applied: this.scope.appliedText,
      refused_endpoints: this.refusals,
      detail: refusal?.detail ?? null,
    });
  }

  /** Every endpoint the request could use was refused by policy: 403 naming the rule, its scope and the compliant alternatives. */
  refusedError(modelIds: string[], excluded: Exclusion[]): AgoraError {
    const refused = excluded.filter((item) => item.refusal !== undefined);
    const first = refused[0]!.refusal!;
    const alternatives = this.alternatives(modelIds);
    const named =
      alternatives.length > 0
        ? ` Compliant alternatives: ${alternatives.map((item) => `${item.model} at ${item.provider} (${item.prompt}/${item.completion} USD per 1M)`).join('; ')}.`
        : ' No other model in the catalog is allowed for this request either.';
    const where = first.scope === 'provider' ? `the provider ${first.policy}` : `policy "${first.policy}" (${first.scope})`;
    this.governance.record({
      key_id: this.keyId,
      account_id: this.accountId,
      model: modelIds[0]!,
      region: this.region,
      region_source: this.regionSource,
      outcome: 'refused',
      rule: first.rule,
      policy: first.policy,
      scope: first.scope,
      applied: this.scope.appliedText,
      refused_endpoints: refused.length,
      detail: first.detail,
    });
    // One line a person can read however many endpoints there are: the first refusal's reason, then
    // the others by provider (at most five named); metadata.refused has each one with its own reason.
    const others = refused.slice(1).filter((item) => item.refusal!.detail !== first.detail || item.refusal!.rule !== first.rule);
    const sameReason = refused.length - others.length;
    const providers = refused.map((item) => item.provider);
    const named5 = providers.slice(0, 5).join(', ') + (providers.length > 5 ? ` and ${providers.length - 5} more` : '');
    const summary =
      refused.length === 1
        ? `${first.detail} (${providers[0]})`
        : `${first.detail} (${sameReason} of ${refused.length} endpoints: ${named5})` +
          (others.length > 0
            ? `; ${others.length} refused for other reasons, such as ${others[0]!.provider}: ${others[0]!.refusal!.detail}`
            : '');
    return new AgoraError(`Refused by ${where}, rule ${first.rule}: ${summary}.${named}`, {
      status: 403,
      kind: 'permission_denied',
      type: 'permission_error',
      code: 'policy_refused',
      param: 'model',
      metadata: {
        rule: first.rule,
        policy: first.policy,
        scope: first.scope,
        region: this.region,
        region_source: this.regionSource,
        refused: refused.map((item) => ({ endpoint: item.endpoint, provider: item.provider, ...item.refusal })),
        alternatives,
      },
    });
  }

  /**
   * What these policies allow instead: enabled hosts of the requested models that no policy refuses,
   * else enabled endpoints of other models of the same kind with at least half the context, priced
   * within a factor of four of the requested model's cheapest host, closest price first (at most 5).
   */
  alternatives(modelIds: string[]): Alternative[] {
    const snapshot = this.governance.snapshot();
    const view = (entry: CatalogEndpoint): Alternative => ({
      model: entry.model.id,
      provider: entry.provider.id,
      prompt: entry.endpoint.pricing.prompt,
      completion: entry.endpoint.pricing.completion,
      context_length: entry.endpoint.contextLength ?? null,
    });
    const allowed = (entry: CatalogEndpoint): boolean =>
      entry.adapter !== undefined &&
      entry.endpoint.status !== 'disabled' &&
      evaluate(entry, this.region, this.scope.policies) === undefined;
    const requested = modelIds.map((id) => snapshot.get(id)).filter((entry) => entry !== undefined);
    const hosts = requested.flatMap((entry) => entry.endpoints.filter(allowed));
    if (hosts.length > 0) return hosts.slice(0, 5).map(view);
    const first = requested[0];
    if (!first) return [];
    const price = Math.min(...first.endpoints.map((entry) => entry.blendedPrice), Number.POSITIVE_INFINITY);
    const context = first.model.contextLength ?? 0;
    const candidates: Array<{ entry: CatalogEndpoint; distance: number }> = [];
    for (const model of snapshot.models.values()) {
      if (model.model.kind !== first.model.kind || modelIds.includes(model.model.id)) continue;
      if ((model.model.contextLength ?? 0) < context / 2) continue;
      const best = model.endpoints.filter(allowed).sort((left, right) => left.blendedPrice - right.blendedPrice)[0];
      if (!best) continue;
      const ratio = Number.isFinite(price) && price > 0 ? Math.max(best.blendedPrice, 0.0001) / price : 1;
      if (ratio > 4 || ratio < 0.25) continue;
      candidates.push({ entry: best, distance: Math.abs(Math.log(ratio)) });
    }
    return candidates
      .sort((left, right) => left.distance - right.distance || left.entry.model.id.localeCompare(right.entry.model.id))
      .slice(0, 5)
      .map((item) => view(item.entry));
  }
}

export { UNKNOWN_REGION };
