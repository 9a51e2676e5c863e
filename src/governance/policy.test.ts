/**
 * The policy matrix: every policy kind × client region × endpoint, with the expected outcome of each
 * cell written out by hand (not computed by the code under test). Then composition across scopes
 * (gateway, account, key: the strictest wins) and the refusal's naming.
 *
 * Endpoints, in column order:
 *   r1@cn   deepseek/r1 at cnhost — company CN, data centre CN, trains on prompts, $0.5/$2
 *   r1@us   deepseek/r1 at ushost — company US, data centre US, zero retention, no training,
 *           refuses clients in CN/HK/MO itself, $3/$7
 *   r1@eu   deepseek/r1 at euhost — company DE, data centres DE+FR, no training, $2/$6
 *   r1@sg   deepseek/r1 at sghost — company SG, data centres unpublished, data policy unstated, $1/$3
 *   ll@us   meta/llama at ushost, $1/$4
 *   ll@eu   meta/llama at euhost, $1/$8
 * Authors: deepseek (CN), meta (US).
 *
 * A cell is `.` (allowed) or the rule refusing it: P provider_refuses_region, R client_region,
 * C provider_country, D datacenter_region, A author, N author_country, Z zero_retention,
 * T no_training, M max_price.
 */
import { describe, expect, it } from 'vitest';
import { CatalogSnapshot, type CatalogEndpoint } from '../catalog/snapshot.js';
import { loadConfig, ConfigError } from '../config/load.js';
import { policySchema, type PolicyFile } from '../config/schema.js';
import { evaluate, PolicySet, UNKNOWN_REGION, type Rule } from './policy.js';

const YAML = `
bundled_catalog: false
authors:
  deepseek: { name: DeepSeek, country: CN }
  meta: { name: Meta, country: US }
providers:
  cnhost:
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-cn-0001
    jurisdiction: CN
    datacenters: [CN]
    data_policy: { trains_on_prompts: true, retention_days: 30 }
  ushost:
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-us-0001
    jurisdiction: US
    datacenters: [US]
    refused_regions: [CN, HK, MO]
    data_policy: { zdr: true, trains_on_prompts: false, retention_days: 0 }
  euhost:
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-eu-0001
    jurisdiction: DE
    datacenters: [DE, FR]
    data_policy: { trains_on_prompts: false, retention_days: 7 }
  sghost:
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-sg-0001
    jurisdiction: SG
models:
  deepseek/r1:
    endpoints:
      - { provider: cnhost, model: r1, pricing: { prompt: 0.5, completion: 2 } }
      - { provider: ushost, model: r1, pricing: { prompt: 3, completion: 7 } }
      - { provider: euhost, model: r1, pricing: { prompt: 2, completion: 6 } }
      - { provider: sghost, model: r1, pricing: { prompt: 1, completion: 3 } }
  meta/llama:
    endpoints:
      - { provider: ushost, model: llama, pricing: { prompt: 1, completion: 4 } }
      - { provider: euhost, model: llama, pricing: { prompt: 1, completion: 8 } }
`;

const snapshot = new CatalogSnapshot(loadConfig({ text: YAML, env: {} }));
const COLUMNS = [
  'deepseek/r1:cnhost',
  'deepseek/r1:ushost',
  'deepseek/r1:euhost',
  'deepseek/r1:sghost',
  'meta/llama:ushost',
  'meta/llama:euhost',
];
const endpoints: CatalogEndpoint[] = COLUMNS.map((key) => {
  const [model] = key.split(':');
  const found = snapshot.get(model!)!.endpoints.find((entry) => entry.key === key);
  if (!found) throw new Error(`no endpoint ${key}`);
  return found;
});

const CODES: Record<Rule, string> = {
  provider_refuses_region: 'P',
  client_region: 'R',
  provider_country: 'C',
  datacenter_region: 'D',
  author: 'A',
  author_country: 'N',
  zero_retention: 'Z',
  no_training: 'T',
  max_price: 'M',
};

const REGIONS = ['US', 'CN', 'DE', UNKNOWN_REGION] as const;

function policy(input: Record<string, unknown>): PolicyFile {
  return policySchema.parse({ id: 'p', ...input });
}

/** Each case: the policies (composed), and per region the expected row over COLUMNS. */
const MATRIX: Array<{ name: string; policies: Array<Record<string, unknown>>; expect: Record<(typeof REGIONS)[number], string> }> = [
  {
    name: 'no policy (only the providers’ own refusals)',
    policies: [],
    expect: { US: '......', CN: '.P..P.', DE: '......', unknown: '......' },
  },
  {
    name: 'client regions: deny CN',
    policies: [{ client_regions: { deny: ['CN'] } }],
    expect: { US: '......', CN: 'RPRRPR', DE: '......', unknown: '......' },
  },
  {
    name: 'client regions: allow EU (unknown denied by default)',
    policies: [{ client_regions: { allow: ['EU'] } }],
    expect: { US: 'RRRRRR', CN: 'RPRRPR', DE: '......', unknown: 'RRRRRR' },
  },
  {
    name: 'client regions: allow US, unknown allowed',
    policies: [{ client_regions: { allow: ['US'], unknown: 'allow' } }],
    expect: { US: '......', CN: 'RPRRPR', DE: 'RRRRRR', unknown: '......' },
  },
  {
    name: 'client regions: deny CN, unknown denied',
    policies: [{ client_regions: { deny: ['CN'], unknown: 'deny' } }],
    expect: { US: '......', CN: 'RPRRPR', DE: '......', unknown: 'RRRRRR' },
  },
  {
    name: 'provider countries: allow US, DE',
    policies: [{ provider_countries: { allow: ['US', 'DE'] } }],
    expect: { US: 'C..C..', CN: 'CP.CP.', DE: 'C..C..', unknown: 'C..C..' },
  },
  {
    name: 'provider countries: deny CN',
    policies: [{ provider_countries: { deny: ['CN'] } }],
    expect: { US: 'C.....', CN: 'CP..P.', DE: 'C.....', unknown: 'C.....' },
  },
  {
    name: 'data residency: EU only (unpublished never qualifies)',
    policies: [{ datacenter_regions: { allow: ['EU'] } }],
    expect: { US: 'DD.DD.', CN: 'DP.DP.', DE: 'DD.DD.', unknown: 'DD.DD.' },
  },
  {
    name: 'deny author deepseek',
    policies: [{ deny_authors: ['deepseek'] }],
    expect: { US: 'AAAA..', CN: 'APAAP.', DE: 'AAAA..', unknown: 'AAAA..' },
  },
  {
    name: 'deny author country CN',
    policies: [{ deny_author_countries: ['CN'] }],
    expect: { US: 'NNNN..', CN: 'NPNNP.', DE: 'NNNN..', unknown: 'NNNN..' },
  },
  {
    name: 'zero retention required',
    policies: [{ require_zdr: true }],
    expect: { US: 'Z.ZZ.Z', CN: 'ZPZZPZ', DE: 'Z.ZZ.Z', unknown: 'Z.ZZ.Z' },
  },
  {
    name: 'no training on prompts (unstated does not qualify)',
    policies: [{ no_training: true }],
    expect: { US: 'T..T..', CN: 'TP.TP.', DE: 'T..T..', unknown: 'T..T..' },
  },
  {
    name: 'max completion price 6',
    policies: [{ max_price: { completion: 6 } }],
    expect: { US: '.M...M', CN: '.P..PM', DE: '.M...M', unknown: '.M...M' },
  },
  {
    name: 'max prompt price 1',
    policies: [{ max_price: { prompt: 1 } }],
    expect: { US: '.MM...', CN: '.PM.P.', DE: '.MM...', unknown: '.MM...' },
  },
  {
    name: 'applies to deepseek/r1 only: deny clients in US',
    policies: [{ applies_to: { models: ['deepseek/r1'] }, client_regions: { deny: ['US'] } }],
    expect: { US: 'RRRR..', CN: '.P..P.', DE: '......', unknown: '......' },
  },
  {
    name: 'applies to provider ushost only: zero retention (it has it)',
    policies: [{ applies_to: { providers: ['ushost', 'euhost'] }, require_zdr: true }],
    expect: { US: '..Z..Z', CN: '.PZ.PZ', DE: '..Z..Z', unknown: '..Z..Z' },
  },
  {
    name: 'applies to author meta: EU residency',
    policies: [{ applies_to: { authors: ['meta'] }, datacenter_regions: { allow: ['EU'] } }],
    expect: { US: '....D.', CN: '.P..P.', DE: '....D.', unknown: '....D.' },
  },
  {
    name: 'composed: EU residency and zero retention (nothing passes both)',
    policies: [{ datacenter_regions: { allow: ['EU'] } }, { id: 'q', require_zdr: true }],
    expect: { US: 'DDZDDZ', CN: 'DPZDPZ', DE: 'DDZDDZ', unknown: 'DDZDDZ' },
  },
  {
    name: 'composed: no training and client allow US',
    policies: [{ no_training: true }, { id: 'q', client_regions: { allow: ['US'] } }],
    expect: { US: 'T..T..', CN: 'TPRTPR', DE: 'TRRTRR', unknown: 'TRRTRR' },
  },
];

describe('the policy matrix: policies × client regions × endpoints', () => {
  for (const row of MATRIX) {
    it(row.name, () => {
      const compiled = new PolicySet(row.policies.map(policy), 1).gateway;
      for (const region of REGIONS) {
        const got = endpoints
          .map((entry) => {
            const refusal = evaluate(entry, region, compiled);
            return refusal ? CODES[refusal.rule] : '.';
          })
          .join('');
        expect(`${region}: ${got}`).toBe(`${region}: ${row.expect[region]}`);
      }
    });
  }
});

describe('policy scopes compose (the strictest wins)', () => {
  const set = new PolicySet(
    [
      policy({ id: 'everyone', provider_countries: { deny: ['CN'] } }),
      policy({ id: 'team', scope: 'account:acc1', no_training: true }),
      policy({ id: 'alice', scope: 'key:k1', max_price: { completion: 6 } }),
      policy({ id: 'other-team', scope: 'account:acc2', require_zdr: true }),
    ],
    1,
  );

  it('a key gets the gateway’s, its account’s and its own policies, nobody else’s', () => {
    expect(set.applicable('k1', 'acc1').map((item) => item.id)).toEqual(['everyone', 'team', 'alice']);
    expect(set.applicable('k2', 'acc1').map((item) => item.id)).toEqual(['everyone', 'team']);
    expect(set.applicable('k3', null).map((item) => item.id)).toEqual(['everyone']);
    expect(set.applicable('k1', 'acc2').map((item) => item.id)).toEqual(['everyone', 'other-team', 'alice']);
  });

  it('every policy in scope must pass; the refusal names the rule, the policy and its scope', () => {
    const policies = set.applicable('k1', 'acc1');
    const verdicts = endpoints.map((entry) => evaluate(entry, 'DE', policies));
    expect(verdicts.map((item) => (item ? `${item.rule}@${item.policy}/${item.scope}` : '.'))).toEqual([
      'provider_country@everyone/gateway',
      'max_price@alice/key:k1',
      '.',
      'no_training@team/account:acc1',
      '.',
      'max_price@alice/key:k1',
    ]);
    expect(verdicts[1]!.detail).toBe('completion price 7 > 6 USD per 1M tokens');
  });

  it('a provider’s own refusal names the provider, scope provider', () => {
    const refusal = evaluate(endpoints[1]!, 'HK', []);
    expect(refusal).toEqual({
      rule: 'provider_refuses_region',
      policy: 'ushost',
      scope: 'provider',
      detail: expect.stringContaining('does not serve clients in HK'),
    });
  });
});

describe('policies are validated on load, errors naming the field', () => {
  const load = (policies: string) => () => loadConfig({ text: `${YAML}\npolicies:\n${policies}`, env: {} });
  it.each([
    ['  - { id: a, client_regions: { allow: [US], deny: [CN] } }', 'policies[0].client_regions'],
    ['  - { id: a, client_regions: { allow: [usa] } }', 'policies[0].client_regions.allow[0]'],
    ['  - { id: a, require_zdr: "yes" }', 'policies[0].require_zdr'],
    ['  - { id: a, scope: team }', 'policies[0].scope'],
    ['  - { id: a, max_price: { prompt: -1 } }', 'policies[0].max_price.prompt'],
    ['  - { id: a, deny_author: [deepseek] }', 'policies[0].deny_author'],
    ['  - { id: a }\n  - { id: a }', 'policies[1].id'],
    ['  - { id: "Bad Id" }', 'policies[0].id'],
  ])('%s → %s', (text, field) => {
    let error: unknown;
    try {
      load(text)();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(field);
  });

  it('EU in a region list stands for its 27 member states', () => {
    const eu = new PolicySet([policy({ client_regions: { allow: ['EU'] } })], 1).gateway;
    for (const member of ['FR', 'DE', 'IE', 'PL', 'HR']) expect(evaluate(endpoints[2]!, member, eu)).toBeUndefined();
    for (const outside of ['GB', 'CH', 'NO', 'US']) expect(evaluate(endpoints[2]!, outside, eu)?.rule).toBe('client_region');
  });
});
