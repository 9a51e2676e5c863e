/**
 * SSRF probes (Part 5 · Hardening). The gateway never fetches a URL that a caller supplies: URLs in
 * requests are data, passed on to the upstream as they came, and an upstream's redirect is never
 * followed. A canary listener on loopback counts every connection it ever receives; every probe
 * points every URL it carries at the canary's port, in every spelling of "this machine" there is
 * (localhost, [::1], 0.0.0.0, 127.0.0.2, decimal, hex and octal IPs, IPv4-mapped IPv6, credentials,
 * file:, gopher:, data: …), through every surface (OpenAI chat, Anthropic messages, embeddings,
 * headers, query parameters, admin bodies, and raw HTTP: absolute-form targets, CONNECT, a spoofed
 * Host) and every upstream shape (OpenAI-compatible, Anthropic, Gemini). After each probe's response has completed, the canary must have heard nothing: a
 * gateway that fetched a URL would do so before answering, so no waiting is needed. A control at
 * the start and at the end proves the canary hears each spelling it is meant to catch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, get as httpGet, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Bytes the canary answers with: if they ever reach a client, the gateway fetched the canary. */
const CANARY_BODY = 'CANARY-FETCHED-7f3a9c';
/** A line of /etc/passwd: if it ever reaches a client, the gateway read a file: URL. */
const PASSWD_MARK = 'root:x:0:0';

// ---- the canary --------------------------------------------------------------------------------

interface Canary {
  port: number;
  /** Addresses it listens on (127.0.0.1 always; 127.0.0.2 and ::1 when the machine has them). */
  hosts: string[];
  /** Every connection it ever received, with the phase it arrived in. */
  connections: Array<{ phase: 'control' | 'probe'; local: string | undefined; remote: string | undefined }>;
  phase: 'control' | 'probe';
  close(): Promise<void>;
}

function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function startCanary(): Promise<Canary> {
  const sockets = new Set<Socket>();
  const canary: Canary = { port: 0, hosts: [], connections: [], phase: 'control', close: async () => undefined };
  const make = (): NetServer =>
    createNetServer((socket) => {
      canary.connections.push({ phase: canary.phase, local: socket.localAddress, remote: socket.remoteAddress });
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.end(
        `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${CANARY_BODY.length}\r\nconnection: close\r\n\r\n${CANARY_BODY}`,
      );
    });
  // One port on every loopback address we can bind (a port free on 127.0.0.1 may be taken on ::1: retry).
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: NetServer[] = [];
    const primary = make();
    await listen(primary, 0, '127.0.0.1');
    servers.push(primary);
    const port = (primary.address() as AddressInfo).port;
    const hosts = ['127.0.0.1'];
    let clash = false;
    for (const host of ['127.0.0.2', '::1']) {
      const extra = make();
      try {
        await listen(extra, port, host);
        servers.push(extra);
        hosts.push(host);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') clash = true;
        // EADDRNOTAVAIL / EAFNOSUPPORT: this machine has no such address; the spelling stays a probe.
      }
    }
    if (clash) {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      continue;
    }
    canary.port = port;
    canary.hosts = hosts;
    canary.close = async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    };
    return canary;
  }
  throw new Error('could not bind the canary on one port across loopback addresses');
}

/** Connects to `url` from the test itself (the control); resolves once the exchange is over. */
function touch(url: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const request = (url.startsWith('https:') ? httpsGet : httpGet)(url, { rejectUnauthorized: false }, (response) => {
      response.resume();
      response.on('end', () => resolve());
      response.on('error', () => resolve());
    });
    request.on('error', () => resolve()); // https to a plain-text listener fails after connecting: that is enough
  });
}

// ---- the URL spellings -------------------------------------------------------------------------

interface Spelling {
  url: string;
  /** Which canary address a connection to it lands on; undefined: not an HTTP(S) URL the control can open. */
  reaches: string | undefined;
}

function spellings(port: number): Spelling[] {
  return [
    { url: `http://127.0.0.1:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://localhost:${port}/ssrf`, reaches: 'localhost' },
    { url: `http://[::1]:${port}/ssrf`, reaches: '::1' },
    { url: `http://[0:0:0:0:0:0:0:1]:${port}/ssrf`, reaches: '::1' },
    { url: `http://[::]:${port}/ssrf`, reaches: '::1' },
    { url: `http://0.0.0.0:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://0:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://127.0.0.2:${port}/ssrf`, reaches: '127.0.0.2' },
    { url: `http://2130706433:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://0x7f000001:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://0177.0.0.1:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://127.1:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://127.000.000.001:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://[::ffff:127.0.0.1]:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://user:secret@127.0.0.1:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `http://LOCALHOST:${port}/ssrf?x=1#frag`, reaches: 'localhost' },
    { url: `https://127.0.0.1:${port}/ssrf`, reaches: '127.0.0.1' },
    { url: `//127.0.0.1:${port}/ssrf`, reaches: undefined },
    { url: `127.0.0.1:${port}/ssrf`, reaches: undefined },
    { url: `ws://127.0.0.1:${port}/ssrf`, reaches: undefined },
    { url: `ftp://127.0.0.1:${port}/ssrf`, reaches: undefined },
    { url: `gopher://127.0.0.1:${port}/_GET%20/ssrf%20HTTP/1.1%0d%0a`, reaches: undefined },
    { url: `dict://127.0.0.1:${port}/info`, reaches: undefined },
    { url: 'file:///etc/passwd', reaches: undefined },
    { url: `file://127.0.0.1:${port}/etc/passwd`, reaches: undefined },
    { url: `data:text/html,<img src="http://127.0.0.1:${port}/ssrf">`, reaches: undefined },
    {
      url: `data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="http://127.0.0.1:${port}/ssrf"/></svg>`).toString('base64')}`,
      reaches: undefined,
    },
  ];
}

// ---- the probes --------------------------------------------------------------------------------

interface Context {
  port: number;
  all: string[];
  /** The http(s) spellings: these must reach a fake upstream verbatim when a probe is answered 2xx. */
  web: string[];
  openai: FakeUpstream;
  anthropic: AnthropicFake;
  gemini: GeminiFake;
  bouncer: Bouncer;
}

interface ProbeRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Which key sends it: a plain key (default) or the admin key. */
  as?: 'user' | 'admin';
  /** Bytes written as they are on a fresh connection (for what fetch cannot send); `{{KEY}}` is the plain key. */
  raw?: string;
}

interface Probe {
  name: string;
  build(context: Context): ProbeRequest;
  /** 'below-500': the gateway answers without failing; 'not-2xx': an upstream redirect, never followed. */
  expect: 'below-500' | 'not-2xx';
  /** The fake's request bodies: on a 2xx answer, the last one must carry every http(s) spelling verbatim. */
  forwardedTo?(context: Context): Array<{ body: unknown }>;
  /** For redirect probes: how many requests the bouncer has seen (it must see this probe's). */
  bounced?: boolean;
}

const UPSTREAMS = [
  { label: 'OpenAI-compatible', chat: 'acme/ok', fake: (context: Context) => context.openai.requests as Array<{ body: unknown }> },
  { label: 'Anthropic', chat: 'claude/ok', fake: (context: Context) => context.anthropic.requests as Array<{ body: unknown }> },
  { label: 'Gemini', chat: 'google/ok', fake: (context: Context) => context.gemini.requests as Array<{ body: unknown }> },
] as const;

const user = (content: unknown): Array<Record<string, unknown>> => [{ role: 'user', content }];
const text = { type: 'text', text: 'What do these resources say?' };

function chat(model: string, extra: Record<string, unknown>, headers?: Record<string, string>): ProbeRequest {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    body: { model, max_tokens: 16, messages: user('hi'), ...extra },
    ...(headers ? { headers } : {}),
  };
}

function messagesCall(model: string, extra: Record<string, unknown>): ProbeRequest {
  return { method: 'POST', path: '/v1/messages', body: { model, max_tokens: 16, messages: user('hi'), ...extra } };
}

const PROBES: Probe[] = [];

for (const upstream of UPSTREAMS) {
  const on = `OpenAI chat → ${upstream.label}`;
  PROBES.push(
    {
      name: `${on}: image_url parts (object form), every spelling`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, { messages: user([text, ...all.map((url) => ({ type: 'image_url', image_url: { url, detail: 'high' } }))]) }),
      forwardedTo: upstream.fake,
    },
    {
      name: `${on}: image_url parts (string form), every spelling`,
      expect: 'below-500',
      build: ({ all }) => chat(upstream.chat, { messages: user([text, ...all.map((url) => ({ type: 'image_url', image_url: url }))]) }),
      forwardedTo: upstream.fake,
    },
    {
      name: `${on}: image_url parts, streamed`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, { stream: true, messages: user([text, ...all.map((url) => ({ type: 'image_url', image_url: { url } }))]) }),
      forwardedTo: upstream.fake,
    },
    {
      name: `${on}: input_audio parts carrying URLs`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          messages: user([text, ...all.map((url) => ({ type: 'input_audio', input_audio: { data: url, format: 'wav', url } }))]),
        }),
    },
    {
      name: `${on}: file parts with file_data, url and file_id`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          messages: user([
            text,
            ...all.flatMap((url) => [
              { type: 'file', file: { filename: 'report.pdf', file_data: url } },
              { type: 'file', file: { filename: 'report.pdf', url } },
              { type: 'file', file: { file_id: url } },
            ]),
          ]),
        }),
    },
    {
      name: `${on}: tools[].function.parameters with $ref, $schema and $id`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          tools: all.map((url, index) => ({
            type: 'function',
            function: {
              name: `lookup_${index}`,
              description: `See ${url}`,
              parameters: {
                $schema: url,
                $id: url,
                type: 'object',
                properties: { where: { $ref: url } },
                $defs: { remote: { $ref: `${url}#/definitions/x` } },
              },
            },
          })),
        }),
    },
    {
      name: `${on}: response_format.json_schema with $ref, $schema and $id`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'answer',
              strict: true,
              schema: {
                $schema: all[0],
                $id: all[1],
                type: 'object',
                properties: Object.fromEntries(all.map((url, index) => [`p${index}`, { $ref: url }])),
              },
            },
          },
        }),
    },
    {
      name: `${on}: metadata values, user and other free-text fields`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          metadata: Object.fromEntries(all.slice(0, 16).map((url, index) => [`ref_${index}`, url.slice(0, 512)])),
          user: all[0],
          safety_identifier: all[1],
          prompt_cache_key: all[2],
          stop: [all[3]!],
        }),
    },
    {
      name: `${on}: app attribution and origin headers`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(
          upstream.chat,
          {},
          {
            'HTTP-Referer': all[0]!,
            Referer: all[1]!,
            'X-Title': all[2]!,
            'X-OpenRouter-Title': all[5]!,
            Origin: all[6]!.replace(/\/ssrf.*$/, ''),
            'X-Forwarded-Host': `127.0.0.1:${all[0]!.split(':')[2]!.split('/')[0]}`,
            Forwarded: `for=127.0.0.1;host=${all[1]!.slice(7).split('/')[0]}`,
          },
        ),
    },
    {
      name: `${on}: provider.order and provider.ignore holding URLs`,
      expect: 'below-500',
      build: ({ all }) => chat(upstream.chat, { provider: { order: all, ignore: all, allow_fallbacks: true } }),
    },
    {
      name: `${on}: OpenRouter plugins, web search, prediction and audio fields`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          plugins: [
            { id: 'web', search_prompt: all.join(' '), engine: 'native' },
            { id: 'file-parser', pdf: { engine: 'mistral-ocr' }, url: all[0] },
          ],
          web_search_options: { search_context_size: 'low', user_location: { type: 'approximate', approximate: { city: all[0] } } },
          prediction: { type: 'content', content: all.join('\n') },
        }),
    },
    {
      name: `${on}: URLs in assistant tool calls, tool results and names`,
      expect: 'below-500',
      build: ({ all }) =>
        chat(upstream.chat, {
          messages: [
            { role: 'system', content: `Fetch ${all.join(' and ')}` },
            { role: 'user', content: `Open ${all[0]}` },
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'fetch', arguments: JSON.stringify({ url: all[0], urls: all }) } },
              ],
            },
            { role: 'tool', tool_call_id: 'call_1', content: all.join('\n') },
            { role: 'user', content: [{ type: 'text', text: all.join(' ') }] },
          ],
          tools: [
            {
              type: 'function',
              function: { name: 'fetch', parameters: { type: 'object', properties: { url: { type: 'string', default: all[0] } } } },
            },
          ],
        }),
    },
  );
}

PROBES.push(
  {
    name: 'OpenAI chat: provider.only naming a URL (no endpoint matches)',
    expect: 'below-500',
    build: ({ all }) => chat('acme/ok', { provider: { only: [all[0]], allow_fallbacks: false } }),
  },
  { name: 'OpenAI chat: model is a URL', expect: 'below-500', build: ({ all }) => chat(all[0]!, {}) },
  {
    name: 'OpenAI chat: models fallback list of URLs',
    expect: 'below-500',
    build: ({ all }) => chat('acme/ok', { models: ['acme/ok', ...all] }),
  },
  {
    name: 'OpenAI chat on /api/v1/chat/completions: image_url parts',
    expect: 'below-500',
    build: ({ all }) => ({
      ...chat('acme/ok', { messages: user([text, ...all.map((url) => ({ type: 'image_url', image_url: { url } }))]) }),
      path: '/api/v1/chat/completions',
    }),
    forwardedTo: (context) => context.openai.requests,
  },
);

for (const upstream of UPSTREAMS) {
  const on = `Anthropic /v1/messages → ${upstream.label}`;
  const images = (all: string[]): unknown[] => [text, ...all.map((url) => ({ type: 'image', source: { type: 'url', url } }))];
  PROBES.push(
    {
      name: `${on}: image blocks with source {type: url}`,
      expect: 'below-500',
      build: ({ all }) => messagesCall(upstream.chat, { messages: user(images(all)) }),
      forwardedTo: upstream.fake,
    },
    {
      name: `${on}: image blocks with source {type: url}, streamed`,
      expect: 'below-500',
      build: ({ all }) => messagesCall(upstream.chat, { stream: true, messages: user(images(all)) }),
      forwardedTo: upstream.fake,
    },
    {
      name: `${on}: document blocks with source {type: url}`,
      expect: 'below-500',
      build: ({ all }) =>
        messagesCall(upstream.chat, {
          messages: user([
            text,
            ...all.map((url) => ({ type: 'document', source: { type: 'url', url }, title: url, citations: { enabled: true } })),
          ]),
        }),
    },
    {
      name: `${on}: tools input_schema with $ref, metadata.user_id and system text`,
      expect: 'below-500',
      build: ({ all }) =>
        messagesCall(upstream.chat, {
          system: [{ type: 'text', text: `Fetch ${all.join(' ')}` }],
          metadata: { user_id: all[0] },
          tools: all.map((url, index) => ({
            name: `lookup_${index}`,
            description: url,
            input_schema: { $schema: url, type: 'object', properties: { where: { $ref: url } } },
          })),
        }),
    },
  );
}

PROBES.push(
  {
    name: 'Anthropic /v1/messages/count_tokens: image and document blocks with URLs',
    expect: 'below-500',
    build: ({ all }) => ({
      method: 'POST',
      path: '/v1/messages/count_tokens',
      body: { model: 'claude/ok', messages: user([text, ...all.map((url) => ({ type: 'image', source: { type: 'url', url } }))]) },
    }),
  },
  {
    name: 'embeddings → OpenAI-compatible: input array of URLs',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'POST', path: '/v1/embeddings', body: { model: 'acme/embed', input: all } }),
    forwardedTo: (context) => context.openai.requests,
  },
  {
    name: 'embeddings → OpenAI-compatible: input a single file: URL',
    expect: 'below-500',
    build: () => ({ method: 'POST', path: '/v1/embeddings', body: { model: 'acme/embed', input: 'file:///etc/passwd' } }),
  },
  {
    name: 'embeddings → Gemini on /api/v1/embeddings: input array of URLs',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'POST', path: '/api/v1/embeddings', body: { model: 'google/embed', input: all } }),
    forwardedTo: (context) => context.gemini.requests,
  },
  {
    name: 'GET /api/v1/generation?id=<http URL> (plain key)',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/api/v1/generation?id=${encodeURIComponent(all[0]!)}` }),
  },
  {
    name: 'GET /api/v1/generation?id=<file: URL> (admin key)',
    expect: 'below-500',
    build: () => ({ method: 'GET', path: `/api/v1/generation?id=${encodeURIComponent('file:///etc/passwd')}`, as: 'admin' }),
  },
  {
    name: 'GET /api/v1/generation with the id and extra parameters as raw, unencoded URLs',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/api/v1/generation?id=${all[1]}&callback=${all[2]}&redirect=${all[0]}` }),
  },
  {
    name: 'GET /api/v1/usage?from=<URL>&to=<URL>&key_id=<URL> (admin key)',
    expect: 'below-500',
    build: ({ all }) => ({
      method: 'GET',
      path: `/api/v1/usage?from=${encodeURIComponent(all[0]!)}&to=${encodeURIComponent(all[1]!)}&key_id=${encodeURIComponent(all[2]!)}`,
      as: 'admin',
    }),
  },
  {
    name: 'GET /api/v1/usage?key_id=<URL>&format=csv (admin key)',
    expect: 'below-500',
    build: ({ all }) => ({
      method: 'GET',
      path: `/api/v1/usage?key_id=${encodeURIComponent(all[0]!)}&format=csv&webhook=${encodeURIComponent(all[1]!)}`,
      as: 'admin',
    }),
  },
  {
    name: 'GET /v1/models and /api/v1/models with URL query parameters',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/v1/models?all=${encodeURIComponent(all[0]!)}&source=${encodeURIComponent(all[1]!)}` }),
  },
  {
    name: 'GET /api/v1/models/{author}/{slug}/endpoints with a URL as the model id',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/api/v1/models/${encodeURIComponent(all[0]!)}/${encodeURIComponent(all[1]!)}/endpoints` }),
  },
  {
    name: 'GET /api/v1/key and /api/v1/credits style query parameters holding URLs',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/api/v1/key?url=${encodeURIComponent(all[0]!)}&avatar=${encodeURIComponent(all[1]!)}` }),
  },
  {
    name: 'GET /health?url=<URL>',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'GET', path: `/health?url=${encodeURIComponent(all[0]!)}&check=${encodeURIComponent(all[2]!)}` }),
  },
  {
    name: 'POST /api/v1/keys (admin) with a URL as the name and extra URL fields',
    expect: 'below-500',
    build: ({ all }) => ({
      method: 'POST',
      path: '/api/v1/keys',
      as: 'admin',
      body: { name: all[0], webhook_url: all[1], callback: all[2] },
    }),
  },
  {
    name: 'PATCH /api/v1/keys/{URL} (admin)',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'PATCH', path: `/api/v1/keys/${encodeURIComponent(all[0]!)}`, as: 'admin', body: { name: all[1] } }),
  },
  {
    name: 'DELETE /api/v1/keys?id=<URL> (admin)',
    expect: 'below-500',
    build: ({ all }) => ({ method: 'DELETE', path: `/api/v1/keys?id=${encodeURIComponent(all[0]!)}`, as: 'admin' }),
  },
  {
    name: 'POST /api/v1/credits/topup (admin) with URLs as account_id, key_id and note',
    expect: 'below-500',
    build: ({ all }) => ({
      method: 'POST',
      path: '/api/v1/credits/topup',
      as: 'admin',
      body: { amount: 1, account_id: all[0], key_id: all[1], note: all[2] },
    }),
  },
);

const rawChat = JSON.stringify({ model: 'acme/ok', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
PROBES.push(
  {
    name: 'raw HTTP: absolute-form request target at the canary (forward-proxy style)',
    expect: 'below-500',
    build: ({ port }) => ({
      method: 'GET',
      path: '',
      raw: `GET http://127.0.0.1:${port}/ssrf HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer {{KEY}}\r\nConnection: close\r\n\r\n`,
    }),
  },
  {
    name: 'raw HTTP: absolute-form target naming a gateway route on the canary host',
    expect: 'below-500',
    build: ({ port }) => ({
      method: 'POST',
      path: '',
      raw:
        `POST http://localhost:${port}/v1/chat/completions HTTP/1.1\r\nHost: localhost:${port}\r\nAuthorization: Bearer {{KEY}}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(rawChat)}\r\nConnection: close\r\n\r\n${rawChat}`,
    }),
  },
  {
    name: 'raw HTTP: CONNECT tunnel to the canary',
    expect: 'not-2xx',
    build: ({ port }) => ({
      method: 'GET',
      path: '',
      raw: `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nProxy-Authorization: Bearer {{KEY}}\r\n\r\n`,
    }),
  },
  {
    name: 'raw HTTP: chat with Host, X-Forwarded-*, X-Original-URL and X-Rewrite-URL naming the canary',
    expect: 'below-500',
    build: ({ port }) => ({
      method: 'POST',
      path: '',
      raw:
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Forwarded-Host: localhost:${port}\r\nX-Forwarded-Proto: http\r\n` +
        `X-Forwarded-Port: ${port}\r\nX-Original-URL: http://127.0.0.1:${port}/ssrf\r\nX-Rewrite-URL: http://127.0.0.1:${port}/ssrf\r\n` +
        `Authorization: Bearer {{KEY}}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(rawChat)}\r\nConnection: close\r\n\r\n${rawChat}`,
    }),
  },
);

/** Writes `text` on a fresh connection and reads until the gateway closes it (status 0: closed without an answer). */
function sendRaw(port: number, text: string): Promise<{ status: number; body: string; location: string | null }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1] ?? 0);
      const split = all.indexOf('\r\n\r\n');
      const head = split === -1 ? all : all.slice(0, split);
      resolve({ status, body: split === -1 ? '' : all.slice(split + 4), location: /\r\nlocation:\s*([^\r\n]*)/i.exec(head)?.[1] ?? null });
    });
  });
}

// ---- redirects: an upstream that answers 3xx with Location at the canary ------------------------

interface Bouncer {
  url: string;
  port: number;
  requests: Array<{ path: string; headers: IncomingHttpHeaders; status: number }>;
  /** Where each redirect points: a canary spelling per status. */
  locations: Map<number, string>;
  close(): Promise<void>;
}

async function startBouncer(canaryPort: number): Promise<Bouncer> {
  const requests: Bouncer['requests'] = [];
  const urls = spellings(canaryPort)
    .filter((spelling) => spelling.reaches !== undefined)
    .map((spelling) => spelling.url);
  const locations = new Map<number, string>([
    [301, urls[0]!],
    [302, urls[1]!],
    [303, urls[2]!],
    [307, urls[8]!],
    [308, urls[9]!],
  ]);
  const server: HttpServer = createHttpServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const seen = `${request.url ?? ''} ${Buffer.concat(parts).toString('utf8')}`;
      const [, code = '302', json] = /redirect-(\d{3})(-json)?/.exec(seen) ?? [];
      const status = Number(code);
      requests.push({ path: request.url ?? '', headers: request.headers, status });
      const location = locations.get(status) ?? urls[0]!;
      if (json) {
        // A redirect whose body looks like a success: it must still not be a success.
        const gemini = (request.url ?? '').includes('/models/');
        const anthropic = request.headers['anthropic-version'] !== undefined;
        const body = gemini
          ? {
              candidates: [{ content: { role: 'model', parts: [{ text: CANARY_BODY }] }, finishReason: 'STOP', index: 0 }],
              usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
            }
          : anthropic
            ? {
                id: 'msg_redirect',
                type: 'message',
                role: 'assistant',
                model: 'x',
                content: [{ type: 'text', text: CANARY_BODY }],
                stop_reason: 'end_turn',
                stop_sequence: null,
                usage: { input_tokens: 1, output_tokens: 1 },
              }
            : {
                id: 'chatcmpl-redirect',
                object: 'chat.completion',
                created: 1,
                model: 'x',
                choices: [{ index: 0, message: { role: 'assistant', content: CANARY_BODY }, finish_reason: 'stop' }],
                usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
              };
        response.writeHead(status, { location, 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
        return;
      }
      response.writeHead(status, { location, 'content-type': 'text/html' });
      response.end(`<html><body>Moved to <a href="${location}">here</a>.</body></html>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    locations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;
const BOUNCE_TYPES = [
  { label: 'OpenAI-compatible', provider: 'bounce-openai' },
  { label: 'Anthropic', provider: 'bounce-claude' },
  { label: 'Gemini', provider: 'bounce-gemini' },
] as const;

/** Redirect models: one per probe, so no endpoint's circuit opens because of another probe. */
const REDIRECT_MODELS: Array<{ id: string; provider: string; upstream: string; kind?: 'embedding' }> = [];

function bounceModel(provider: string, status: number, variant: string, kind?: 'embedding'): string {
  const id = `bounce/${provider}-${status}-${variant}`;
  REDIRECT_MODELS.push({
    id,
    provider,
    upstream: `redirect-${status}${variant === 'json' ? '-json' : ''}-${variant}`,
    ...(kind ? { kind } : {}),
  });
  return id;
}

for (const type of BOUNCE_TYPES) {
  for (const status of REDIRECT_STATUSES) {
    const model = bounceModel(type.provider, status, 'plain');
    PROBES.push({
      name: `redirect: ${type.label} upstream answers ${status} → canary (chat)`,
      expect: 'not-2xx',
      bounced: true,
      build: () => chat(model, {}),
    });
  }
  const streamed = bounceModel(type.provider, 307, 'stream');
  PROBES.push({
    name: `redirect: ${type.label} upstream answers 307 → canary (chat, streamed)`,
    expect: 'not-2xx',
    bounced: true,
    build: () => chat(streamed, { stream: true }),
  });
  const json = bounceModel(type.provider, 302, 'json');
  PROBES.push({
    name: `redirect: ${type.label} upstream answers 302 with a success-shaped body → canary (chat)`,
    expect: 'not-2xx',
    bounced: true,
    build: () => chat(json, {}),
  });
  const viaMessages = bounceModel(type.provider, 308, 'messages');
  PROBES.push({
    name: `redirect: ${type.label} upstream answers 308 → canary (/v1/messages)`,
    expect: 'not-2xx',
    bounced: true,
    build: () => messagesCall(viaMessages, {}),
  });
}
for (const type of [BOUNCE_TYPES[0], BOUNCE_TYPES[2]]) {
  const model = bounceModel(type.provider, 302, 'embed', 'embedding');
  PROBES.push({
    name: `redirect: ${type.label} upstream answers 302 → canary (embeddings)`,
    expect: 'not-2xx',
    bounced: true,
    build: () => ({ method: 'POST', path: '/v1/embeddings', body: { model, input: ['hello'] } }),
  });
}

// ---- the suite ---------------------------------------------------------------------------------

function config(context: { openai: string; anthropic: string; gemini: string; bouncer: string }): string {
  const endpoint = (provider: string, model: string): string =>
    `    endpoints:\n      - { provider: ${provider}, model: "${model}", pricing: { prompt: 1, completion: 1 }, context_length: 1000000 }`;
  const redirects = REDIRECT_MODELS.map(
    (model) => `  ${model.id}:\n${model.kind ? `    kind: ${model.kind}\n` : ''}${endpoint(model.provider, model.upstream)}`,
  ).join('\n');
  return `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }
providers:
  acme: { base_url: ${context.openai}, api_key_env: ACME_TEST_KEY }
  claude: { type: anthropic, base_url: ${context.anthropic}, api_key_env: ACME_TEST_KEY }
  gemini: { type: gemini, base_url: ${context.gemini}, api_key_env: ACME_TEST_KEY }
  bounce-openai: { base_url: ${context.bouncer}/v1, api_key_env: ACME_TEST_KEY }
  bounce-claude: { type: anthropic, base_url: ${context.bouncer}/v1, api_key_env: ACME_TEST_KEY }
  bounce-gemini: { type: gemini, base_url: ${context.bouncer}/v1beta, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
${endpoint('acme', 'ok')}
  claude/ok:
${endpoint('claude', 'ok')}
  google/ok:
${endpoint('gemini', 'ok')}
  acme/embed:
    kind: embedding
${endpoint('acme', 'ok')}
  google/embed:
    kind: embedding
${endpoint('gemini', 'text-embedding-004')}
${redirects}
`;
}

describe('SSRF: the gateway never fetches a URL a caller supplies, and never follows an upstream redirect', () => {
  let canary: Canary;
  let openai: FakeUpstream;
  let anthropic: AnthropicFake;
  let gemini: GeminiFake;
  let bouncer: Bouncer;
  let gateway: TestGateway;
  let userKey: string;
  let context: Context;
  let controlled: Array<{ url: string; heard: number }> = [];
  let probesRun = 0;

  /** Connections the canary received outside the controls: must stay 0. */
  const heard = (): Array<{ local: string | undefined; remote: string | undefined }> =>
    canary.connections.filter((connection) => connection.phase === 'probe');

  /** Opens every spelling the canary can hear, from the test itself; returns what each one produced. */
  async function control(): Promise<Array<{ url: string; heard: number }>> {
    canary.phase = 'control';
    const results: Array<{ url: string; heard: number }> = [];
    for (const spelling of spellings(canary.port)) {
      if (spelling.reaches === undefined) continue;
      if (spelling.reaches !== 'localhost' && !canary.hosts.includes(spelling.reaches)) continue; // address this machine lacks
      const before = canary.connections.length;
      await touch(spelling.url);
      results.push({ url: spelling.url, heard: canary.connections.length - before });
    }
    canary.phase = 'probe';
    return results;
  }

  beforeAll(async () => {
    canary = await startCanary();
    controlled = await control();
    [openai, anthropic, gemini, bouncer] = await Promise.all([
      startFakeUpstream({ name: 'ssrf' }),
      startAnthropicFake(),
      startGeminiFake(),
      startBouncer(canary.port),
    ]);
    gateway = await startTestGateway({
      yaml: config({ openai: openai.url, anthropic: anthropic.url, gemini: gemini.url, bouncer: bouncer.url }),
    });
    userKey = await gateway.createKey('ssrf-probe');
    const all = spellings(canary.port).map((spelling) => spelling.url);
    context = { port: canary.port, all, web: all.filter((url) => /^https?:\/\//.test(url)), openai, anthropic, gemini, bouncer };
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close(), bouncer?.close()]);
    await canary?.close();
  });

  it('control: the canary hears every loopback spelling when it really is fetched', () => {
    expect(controlled.length).toBeGreaterThanOrEqual(12);
    for (const result of controlled) expect({ url: result.url, heard: result.heard }).toEqual({ url: result.url, heard: 1 });
    expect(heard()).toEqual([]);
  });

  it.each(PROBES.map((probe) => [probe.name, probe] as const))('%s', async (_name, probe) => {
    const request = probe.build(context);
    const bouncedBefore = bouncer.requests.length;
    const headers: Record<string, string> = {
      authorization: `Bearer ${request.as === 'admin' ? MASTER_KEY : userKey}`,
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(request.headers ?? {}),
    };
    let response: { status: number; location: string | null };
    let body: string;
    if (request.raw !== undefined) {
      const answer = await sendRaw(Number(new URL(gateway.url).port), request.raw.split('{{KEY}}').join(userKey));
      response = { status: answer.status, location: answer.location };
      body = answer.body;
    } else {
      const answer = await fetch(`${gateway.url}${request.path}`, {
        method: request.method,
        headers,
        redirect: 'manual',
        body: request.body === undefined ? null : JSON.stringify(request.body),
      });
      body = await answer.text(); // the whole answer (a stream to its end) before looking at the canary
      response = { status: answer.status, location: answer.headers.get('location') };
    }
    probesRun++;

    expect(heard(), `the canary was contacted during "${probe.name}"`).toEqual([]);
    expect(body).not.toContain(CANARY_BODY);
    expect(body).not.toContain(PASSWD_MARK);
    expect(response.location, 'no redirect is handed to the client either').toBeNull();
    if (probe.expect === 'below-500') {
      expect(response.status, body.slice(0, 500)).toBeLessThan(500);
    } else {
      expect(response.status >= 200 && response.status < 300, `a redirect answered ${response.status}: ${body.slice(0, 300)}`).toBe(false);
    }
    if (probe.bounced) expect(bouncer.requests.length, 'the redirecting upstream was really called').toBeGreaterThan(bouncedBefore);
    if (probe.forwardedTo && response.status >= 200 && response.status < 300) {
      // Answered: the URLs went on to the upstream as data, verbatim.
      const requests = probe.forwardedTo(context);
      const sent = JSON.stringify(requests[requests.length - 1]?.body ?? null);
      for (const url of context.web) expect(sent, `${url} passed on to the upstream`).toContain(url);
    }
  });

  it('ran every probe, and the canary heard nothing from the gateway first to last', async () => {
    console.log(
      `SSRF probes run: ${probesRun} of ${PROBES.length} defined (canary port ${canary.port}, listening on ${canary.hosts.join(', ')})`,
    );
    expect(PROBES.length).toBeGreaterThanOrEqual(40);
    expect(probesRun).toBe(PROBES.length);
    expect(bouncer.requests.length).toBeGreaterThanOrEqual(PROBES.filter((probe) => probe.bounced).length);
    expect(heard()).toEqual([]);
    // The canary was alive all along: the closing control still reaches it on every spelling.
    const closing = await control();
    expect(closing.map((result) => result.heard)).toEqual(controlled.map(() => 1));
    expect(heard()).toEqual([]);
  });
});
