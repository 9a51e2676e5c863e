/**
 * Embeddings in the encoding the client asked for, whatever the upstream sent: the openai SDK asks
 * for `base64` by default and decodes it, and several OpenAI-compatible servers ignore the field
 * (answering floats) or always answer base64. Also: a chat model asked for embeddings says how the
 * operator declares an embedding model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Exactly representable in float32, so a round trip through base64 is exact. */
const VECTOR = [0.5, -1.25, 3];

function base64Of(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

describe('embeddings encoding', () => {
  let floats: FakeUpstream;
  let alwaysBase64: Server;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    floats = await startFakeUpstream(); // answers float arrays whatever encoding_format says
    alwaysBase64 = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            object: 'list',
            model: 'b64',
            data: [{ object: 'embedding', index: 0, embedding: base64Of(VECTOR) }],
            usage: { prompt_tokens: 2, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => alwaysBase64.listen(0, '127.0.0.1', resolve));
    const b64Url = `http://127.0.0.1:${(alwaysBase64.address() as AddressInfo).port}/v1`;
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
providers:
  floats: { base_url: ${floats.url}, api_key_env: ACME_TEST_KEY }
  b64: { base_url: ${b64Url}, api_key_env: ACME_TEST_KEY }
models:
  test/floats:
    kind: embedding
    endpoints: [{ provider: floats, model: embed, pricing: { prompt: 0.02, completion: 0 } }]
  test/b64:
    kind: embedding
    endpoints: [{ provider: b64, model: embed, pricing: { prompt: 0.02, completion: 0 } }]
  test/chat:
    endpoints: [{ provider: floats, model: ok, pricing: { prompt: 1, completion: 1 } }]
`,
    });
    client = gateway.client(await gateway.createKey());
  });
  afterAll(async () => {
    await gateway?.close();
    await floats?.close();
    await new Promise((resolve) => alwaysBase64?.close(resolve));
  });

  async function raw(model: string, encoding?: string): Promise<unknown> {
    const response = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: 'x', ...(encoding ? { encoding_format: encoding } : {}) }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: Array<{ embedding: unknown }> }).data[0]!.embedding;
  }

  it("the openai SDK's default (base64) decodes to the upstream's floats when the upstream ignored the field", async () => {
    const result = await client.embeddings.create({ model: 'test/floats', input: ['one', 'two'] });
    expect(floats.requests[floats.requests.length - 1]!.body.encoding_format).toBe('base64'); // the SDK asked for base64
    const second = result.data[1]!.embedding;
    expect(second).toHaveLength(3);
    expect(second[0]).toBeCloseTo(0.2, 6);
    expect(second[1]).toBeCloseTo(0.2, 6);
    expect(second[2]).toBeCloseTo(0.3, 6);
  });

  it('base64 asked of a floats-only upstream is base64; float asked of a base64-only upstream is floats', async () => {
    const encoded = await raw('test/floats', 'base64');
    expect(typeof encoded).toBe('string');
    expect(Buffer.from(encoded as string, 'base64').length).toBe(3 * 4);
    expect(await raw('test/b64', 'float')).toEqual(VECTOR);
    expect(await raw('test/b64')).toEqual(VECTOR); // OpenAI's default is float
    expect(await raw('test/b64', 'base64')).toBe(base64Of(VECTOR));
    const viaSdk = await client.embeddings.create({ model: 'test/b64', input: 'x' });
    expect(viaSdk.data[0]!.embedding).toEqual(VECTOR);
  });

  it('a chat model asked for embeddings says how the operator declares an embedding model', async () => {
    const error = (await client.embeddings.create({ model: 'test/chat', input: 'x' }).catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(400);
    expect(error.message).toContain('/v1/chat/completions');
    expect(error.message).toContain('kind: embedding');
  });
});
