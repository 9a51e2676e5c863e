/**
 * Governance policies, compiled once and evaluated per endpoint: which endpoints a request may be
 * routed to, given who sends it (key, account) and from where (the client region).
 *
 * The rules, each with the name a refusal carries:
 *  - provider_refuses_region — the provider itself does not serve the client's region (a fact of the
 *    catalog, `refused_regions`, not a policy; an unknown region is not refused by it);
 *  - client_region — the policy's allow or deny list of client regions (`unknown` says what an
 *    unknown region gets: deny under an allow list, allow under a deny list, unless set);
 *  - provider_country — where the serving company is headquartered (unknown never passes an allow list);
 *  - datacenter_region — data residency: every data centre of the endpoint in the allowed regions
 *    (an unpublished location never qualifies);
 *  - author — a denied model author; author_country — a denied author country;
 *  - zero_retention — the endpoint must commit to zero data retention;
 *  - no_training — the endpoint must state it never trains on prompts;
 *  - max_price — USD per 1M prompt / completion tokens.
 * A policy's `applies_to` (models, providers, authors) limits the whole policy to matching endpoints.
 * Policies compose: every policy in scope — the gateway's, the account's, the key's — must pass
 * (the strictest wins); the first rule an endpoint fails is the one named.
 */
import type { CatalogEndpoint } from '../catalog/snapshot.js';
import type { PolicyFile } from '../config/schema.js';

/** The member states `EU` stands for in a region list. */
export const EU_MEMBERS = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
] as const;

export const UNKNOWN_REGION = 'unknown';

export type Rule =
  | 'provider_refuses_region'
  | 'client_region'
  | 'provider_country'
  | 'datacenter_region'
  | 'author'
  | 'author_country'
  | 'zero_retention'
  | 'no_training'
  | 'max_price';

export interface Refusal {
  rule: Rule;
  /** The policy's id (a provider's id for provider_refuses_region). */
  policy: string;
  /** Where the policy comes from: gateway, account:<id>, key:<id>, or provider. */
  scope: string;
  detail: string;
  /** Routing's one-line text of it, cached here (set by routing). */
  summary?: string;
}

function regions(list: readonly string[] | undefined): Set<string> | undefined {
  if (!list) return undefined;
  const out = new Set<string>();
  for (const code of list) {
    if (code === 'EU') for (const member of EU_MEMBERS) out.add(member);
    else out.add(code);
  }
  return out;
}

const show = (codes: ReadonlySet<string>): string => [...codes].sort().join(', ');

export class CompiledPolicy {
  readonly id: string;
  readonly scope: string;
  private readonly models?: Set<string>;
  private readonly providers?: Set<string>;
  private readonly authors?: Set<string>;
  private readonly clientAllow?: Set<string>;
  private readonly clientDeny?: Set<string>;
  private readonly unknownClient: 'allow' | 'deny';
  private readonly countryAllow?: Set<string>;
  private readonly countryDeny?: Set<string>;
  private readonly datacenterAllow?: Set<string>;
  private readonly denyAuthors?: Set<string>;
  private readonly denyAuthorCountries?: Set<string>;
  private readonly requireZdr: boolean;
  private readonly noTraining: boolean;
  private readonly maxPrompt?: number;
  private readonly maxCompletion?: number;
  /** Whether the client-region rule is the only thing that depends on the region. */
  readonly regional: boolean;

  constructor(readonly source: PolicyFile) {
    this.id = source.id;
    this.scope = source.scope;
    const applies = source.applies_to;
    if (applies?.models) this.models = new Set(applies.models);
    if (applies?.providers) this.providers = new Set(applies.providers);
    if (applies?.authors) this.authors = new Set(applies.authors);
    this.clientAllow = regions(source.client_regions?.allow);
    this.clientDeny = regions(source.client_regions?.deny);
    this.unknownClient = source.client_regions?.unknown ?? (this.clientAllow ? 'deny' : 'allow');
    this.countryAllow = regions(source.provider_countries?.allow);
    this.countryDeny = regions(source.provider_countries?.deny);
    this.datacenterAllow = regions(source.datacenter_regions?.allow);
    if (source.deny_authors) this.denyAuthors = new Set(source.deny_authors);
    this.denyAuthorCountries = regions(source.deny_author_countries);
    this.requireZdr = source.require_zdr === true;
    this.noTraining = source.no_training === true;
    if (source.max_price?.prompt !== undefined) this.maxPrompt = source.max_price.prompt;
    if (source.max_price?.completion !== undefined) this.maxCompletion = source.max_price.completion;
    this.regional = source.client_regions !== undefined;
  }

  private applies(entry: CatalogEndpoint): boolean {
    if (this.models && !this.models.has(entry.model.id)) return false;
    if (this.providers && !this.providers.has(entry.provider.id)) return false;
    if (this.authors && !this.authors.has(entry.model.author)) return false;
    return true;
  }

  private refuse(rule: Rule, detail: string): Refusal {
    return { rule, policy: this.id, scope: this.scope, detail };
  }

  /** The first rule `entry` fails for a client in `region`, or undefined. */
  check(entry: CatalogEndpoint, region: string): Refusal | undefined {
    if (!this.applies(entry)) return undefined;
    if (this.clientAllow || this.clientDeny) {
      if (region === UNKNOWN_REGION) {
        if (this.unknownClient === 'deny')
          return this.refuse('client_region', 'the client region is unknown, and this policy denies unknown regions');
      } else if (this.clientAllow && !this.clientAllow.has(region)) {
        return this.refuse('client_region', `clients in ${region} are not allowed (allowed: ${show(this.clientAllow)})`);
      } else if (this.clientDeny?.has(region)) {
        return this.refuse('client_region', `clients in ${region} are denied`);
      }
    }
    const country = entry.provider.jurisdiction;
    if (this.countryAllow && !(country && this.countryAllow.has(country))) {
      return this.refuse(
        'provider_country',
        `${entry.provider.name} is headquartered in ${country ?? 'an unpublished country'} (allowed: ${show(this.countryAllow)})`,
      );
    }
    if (this.countryDeny && country && this.countryDeny.has(country)) {
      return this.refuse('provider_country', `${entry.provider.name} is headquartered in ${country}, which is denied`);
    }
    if (this.datacenterAllow) {
      const where = entry.endpoint.datacenters ?? [];
      if (where.length === 0) {
        return this.refuse(
          'datacenter_region',
          `${entry.provider.name} does not publish where this endpoint runs (required: ${show(this.datacenterAllow)})`,
        );
      }
      const outside = where.filter((code) => !this.datacenterAllow!.has(code));
      if (outside.length > 0) {
        return this.refuse(
          'datacenter_region',
          `${entry.provider.name} runs this endpoint in ${outside.join(', ')} (required: ${show(this.datacenterAllow)})`,
        );
      }
    }
    if (this.denyAuthors?.has(entry.model.author)) return this.refuse('author', `models by ${entry.model.author} are denied`);
    if (this.denyAuthorCountries && entry.model.authorCountry && this.denyAuthorCountries.has(entry.model.authorCountry)) {
      return this.refuse('author_country', `models by authors in ${entry.model.authorCountry} are denied (${entry.model.author})`);
    }
    const policy = entry.endpoint.dataPolicy;
    if (this.requireZdr && policy.zdr !== true)
      return this.refuse('zero_retention', `${entry.provider.name} does not commit to zero data retention here`);
    if (this.noTraining && policy.trainsOnPrompts !== false) {
      return this.refuse(
        'no_training',
        policy.trainsOnPrompts
          ? `${entry.provider.name} trains on prompts`
          : `${entry.provider.name} does not state that it never trains on prompts`,
      );
    }
    const pricing = entry.endpoint.pricing;
    if (this.maxPrompt !== undefined && pricing.prompt > this.maxPrompt) {
      return this.refuse('max_price', `prompt price ${pricing.prompt} > ${this.maxPrompt} USD per 1M tokens`);
    }
    if (this.maxCompletion !== undefined && pricing.completion > this.maxCompletion) {
      return this.refuse('max_price', `completion price ${pricing.completion} > ${this.maxCompletion} USD per 1M tokens`);
    }
    return undefined;
  }
}

/** What the provider itself refuses, before any policy. */
export function providerRefusal(entry: CatalogEndpoint, region: string): Refusal | undefined {
  const refused = entry.provider.refusedRegions;
  if (region === UNKNOWN_REGION || !refused || refused.length === 0 || !refused.includes(region)) return undefined;
  return {
    rule: 'provider_refuses_region',
    policy: entry.provider.id,
    scope: 'provider',
    detail: `${entry.provider.name} does not serve clients in ${region}`,
  };
}

/** Every policy, indexed by scope; immutable (a change builds a new set). */
export class PolicySet {
  readonly gateway: CompiledPolicy[] = [];
  private readonly byAccount = new Map<string, CompiledPolicy[]>();
  private readonly byKey = new Map<string, CompiledPolicy[]>();

  constructor(
    readonly policies: readonly PolicyFile[],
    readonly version: number,
  ) {
    for (const source of policies) {
      const compiled = new CompiledPolicy(source);
      if (source.scope === 'gateway') this.gateway.push(compiled);
      else if (source.scope.startsWith('account:')) push(this.byAccount, source.scope.slice('account:'.length), compiled);
      else push(this.byKey, source.scope.slice('key:'.length), compiled);
    }
  }

  /** Whether the key or its account has policies of its own (else only the gateway's apply). */
  isScoped(keyId: string | null, accountId: string | null): boolean {
    return (accountId !== null && this.byAccount.has(accountId)) || (keyId !== null && this.byKey.has(keyId));
  }

  /** The policies in force for a key (the gateway's, its account's, its own), strictest-wins order irrelevant. */
  applicable(keyId: string | null, accountId: string | null): CompiledPolicy[] {
    const account = accountId === null ? undefined : this.byAccount.get(accountId);
    const key = keyId === null ? undefined : this.byKey.get(keyId);
    if (!account && !key) return this.gateway;
    return [...this.gateway, ...(account ?? []), ...(key ?? [])];
  }

  find(id: string): PolicyFile | undefined {
    return this.policies.find((policy) => policy.id === id);
  }
}

function push(map: Map<string, CompiledPolicy[]>, id: string, policy: CompiledPolicy): void {
  const list = map.get(id);
  if (list) list.push(policy);
  else map.set(id, [policy]);
}

/** The first refusal of `entry` for a client in `region` under `policies`, or undefined. */
export function evaluate(entry: CatalogEndpoint, region: string, policies: readonly CompiledPolicy[]): Refusal | undefined {
  const refused = providerRefusal(entry, region);
  if (refused) return refused;
  for (const policy of policies) {
    const refusal = policy.check(entry, region);
    if (refusal) return refusal;
  }
  return undefined;
}
