/**
 * Canary secrets: every credential the configuration knows (an API key from the environment, a
 * header value from `${ENV}`, a header value written in the file) is sent to a hostile upstream that
 * echoes every header it receives in every kind of error: HTTP statuses 400/401/403/429/500/503,
 * plain-text bodies cut near 500 characters, in-band errors, errors in the middle of a stream
 * (Anthropic's `event: error` included), on the OpenAI and the Anthropic surface, plain and streamed.
 * Then every place a secret could surface is searched for the whole canary and for any 10-character
 * piece of it: client answers and headers, generation records, usage exports, the logs at debug
 * level, and the SQLite database files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { startEchoUpstream, type EchoUpstream } from '../fakes/echo-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CANARIES = {
  apiKey: `CanaryApiKey${randomBytes(12).toString('hex')}`,
  azureHeader: `CanaryAzure${randomBytes(12).toString('hex')}`,
  literalHeader: `CanaryOrgSecret${randomBytes(12).toString('hex')}`,
};
const VENDORS = ['openai', 'anthropic', 'gemini'] as const;
const MODES = [
  'status-400',
  'status-401',
  'status-403',
  'status-429',
  'status-500',
  'status-503',
  'text-400',
  'text-500',
  'inband',
  'midstream',
];
const CALLS = ['chat', 'chat-stream', 'messages', 'messages-stream'] as const;

/** Every 10-character piece of every canary. */
const PIECES = Object.values(CANARIES).flatMap((canary) =>
  Array.from({ length: canary.length - 9 }, (_, index) => canary.slice(index, index + 10)),
);

function hits(text: string): string[] {
  return PIECES.filter((piece) => text.includes(piece));
}

describe('canary secrets never leave the gateway', () => {
  let echo: EchoUpstream;
  let gateway: TestGateway;
  let apiKey: string;
  /** Everything a client, an operator or an attacker with the database could read. */
  const seen: Array<{ where: string; text: string }> = [];
  const generationIds: string[] = [];

  beforeAll(async () => {
    echo = await startEchoUpstream();
    const providers = `
  echo-openai: { base_url: ${echo.url}/openai/v1, api_key_env: CANARY_API_KEY, headers: { api-key: "\${CANARY_AZURE}", x-org-secret: "${CANARIES.literalHeader}" } }
  echo-anthropic: { type: anthropic, base_url: ${echo.url}/anthropic/v1, api_key_env: CANARY_API_KEY, headers: { api-key: "\${CANARY_AZURE}", x-org-secret: "${CANARIES.literalHeader}" } }
  echo-gemini: { type: gemini, base_url: ${echo.url}/gemini/v1beta, api_key_env: CANARY_API_KEY, headers: { api-key: "\${CANARY_AZURE}", x-org-secret: "${CANARIES.literalHeader}" } }`;
    // One model per vendor × failure × call, so no circuit or cool-down keeps a call from reaching the echo.
    const models = VENDORS.flatMap((vendor) =>
      MODES.flatMap((mode) =>
        CALLS.map(
          (call) =>
            `  ${vendor}/${mode}-${call}:\n    endpoints:\n      - { provider: echo-${vendor}, model: ${mode}, pricing: { prompt: 1, completion: 1 } }`,
        ),
      ),
    ).join('\n');
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false\ntimeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }\nproviders:${providers}\nmodels:\n${models}\n`,
      env: { ...process.env, CANARY_API_KEY: CANARIES.apiKey, CANARY_AZURE: CANARIES.azureHeader },
    });
    apiKey = await gateway.createKey('canary');
  });
  afterAll(async () => {
    await gateway?.close();
    await echo?.close();
  });

  async function call(vendor: string, mode: string, kind: (typeof CALLS)[number]): Promise<void> {
    const model = `${vendor}/${mode}-${kind}`;
    const stream = kind.endsWith('stream');
    const messages = kind.startsWith('messages');
    const response = await fetch(`${gateway.url}${messages ? '/v1/messages' : '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(messages ? { 'x-api-key': apiKey } : { authorization: `Bearer ${apiKey}` }) },
      body: JSON.stringify({ model, max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await response.text();
    const id = response.headers.get('x-agora-generation-id');
    if (id) generationIds.push(id);
    seen.push({ where: `${model}: answer`, text: `${response.status} ${JSON.stringify([...response.headers])} ${text}` });
    // Every call here fails: before the first byte with an error status, or mid-stream with an error event.
    if (response.status === 200) expect(text, model).toMatch(/"finish_reason":"error"|event: error/);
    else expect(response.status, model).toBeGreaterThanOrEqual(400);
  }

  it('sends the canaries upstream (so the echo has them to leak)', async () => {
    const probe = await fetch(`${echo.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CANARIES.apiKey}`, 'api-key': CANARIES.azureHeader },
      body: JSON.stringify({ model: 'status-401' }),
    });
    const echoed = await probe.text();
    expect(echoed).toContain(CANARIES.apiKey);
    expect(echoed).toContain(CANARIES.azureHeader);
  });

  it('every failure of every vendor, surface and call shape: 0 full or partial canary hits anywhere', async () => {
    const before = echo.requests;
    for (const vendor of VENDORS) for (const mode of MODES) for (const kind of CALLS) await call(vendor, mode, kind);
    // Every call reached the echo (none was short-circuited), so every path above was really exercised.
    expect(echo.requests - before).toBe(VENDORS.length * MODES.length * CALLS.length);

    // What the upstream said still reaches the client, with the credentials masked.
    const answers = seen.map((item) => item.text).join('\n');
    expect(answers).toContain('[REDACTED]');
    expect(answers).toContain('x-org-secret');

    await gateway.running.gateway.sink.flush();
    for (const id of generationIds) {
      for (const key of [MASTER_KEY, apiKey]) {
        const record = await fetch(`${gateway.url}/api/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } });
        seen.push({ where: `generation ${id}`, text: await record.text() });
      }
    }
    expect(generationIds.length).toBeGreaterThanOrEqual(VENDORS.length * MODES.length * CALLS.length - 1);
    const records = seen
      .filter((item) => item.where.startsWith('generation'))
      .map((item) => item.text)
      .join('\n');
    expect(records).toContain('[REDACTED]'); // the stored error messages kept the upstream's words, masked
    for (const format of ['json', 'csv']) {
      for (const key of [MASTER_KEY, apiKey]) {
        const exported = await fetch(`${gateway.url}/api/v1/usage?format=${format}`, { headers: { authorization: `Bearer ${key}` } });
        seen.push({ where: `usage export ${format}`, text: await exported.text() });
      }
    }
    seen.push({ where: 'logs (debug level)', text: gateway.logs.join('') });
    expect(gateway.logs.join('')).toContain('attempt failed'); // the logs did carry the upstream errors
    const file = gateway.databaseUrl.replace(/^sqlite:/, '');
    for (const path of [file, `${file}-wal`]) {
      if (existsSync(path)) seen.push({ where: `database file ${path}`, text: readFileSync(path).toString('latin1') });
    }
    expect(seen.some((item) => item.where.startsWith('database file'))).toBe(true);

    const found = seen.flatMap((item) => hits(item.text).map((piece) => `${item.where}: …${piece}…`));
    expect(found).toEqual([]);
  });
});
