import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from './load.js';

const CONTRACT_EXAMPLE = `
providers:
  acme:                               # provider id
    base_url: http://127.0.0.1:9999/v1  # OpenAI-compatible root
    api_key_env: ACME_API_KEY         # optional: env var holding the upstream key
    jurisdiction: US                  # optional: ISO country of the serving company
models:
  acme/chat-small:                    # the model id clients send
    endpoints:
      - provider: acme
        model: small-v1               # the upstream's own model name
        pricing: { prompt: 0.5, completion: 1.5 }   # USD per 1M tokens
        context_length: 32768         # optional
`;

function failure(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ text, file: 'agora.yaml', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it("loads the contract's example, enabling the provider when its key variable is set", () => {
    const config = loadConfig({ text: CONTRACT_EXAMPLE, file: 'agora.yaml', env: { ACME_API_KEY: 'sk-acme-123' } });
    const provider = config.providers.get('acme')!;
    expect(provider).toMatchObject({ enabled: true, apiKey: 'sk-acme-123', jurisdiction: 'US', baseUrl: 'http://127.0.0.1:9999/v1' });
    expect(config.models.get('acme/chat-small')!.endpoints[0]).toMatchObject({ upstreamModel: 'small-v1', pricing: { prompt: 0.5, completion: 1.5 }, contextLength: 32768 });
    const off = loadConfig({ text: CONTRACT_EXAMPLE, file: 'agora.yaml', env: {} }).providers.get('acme')!;
    expect(off.enabled).toBe(false);
    expect(off.disabledReason).toContain('ACME_API_KEY');
  });

  it('interpolates ${VAR} and ${VAR:-default}, and names the path of a missing variable', () => {
    const text = CONTRACT_EXAMPLE.replace('api_key_env: ACME_API_KEY', 'api_key: ${ACME_SECRET}').replace('http://127.0.0.1:9999/v1', '${ACME_URL:-http://127.0.0.1:9999/v1}');
    const config = loadConfig({ text, file: 'agora.yaml', env: { ACME_SECRET: 'sk-from-env' } });
    expect(config.providers.get('acme')).toMatchObject({ apiKey: 'sk-from-env', baseUrl: 'http://127.0.0.1:9999/v1', enabled: true });
    const error = failure(text, {});
    expect(error.message).toBe('config error in agora.yaml at providers.acme.api_key: environment variable ACME_SECRET is not set (referenced as ${ACME_SECRET})');
  });

  it.each([
    ['bad YAML', 'providers: [unclosed', 'line 1', 'invalid YAML'],
    ['an unknown field', CONTRACT_EXAMPLE.replace('base_url:', 'baseurl:'), 'providers.acme.baseurl', 'unknown field'],
    ['a base_url that is not a URL', CONTRACT_EXAMPLE.replace('http://127.0.0.1:9999/v1', 'localhost:9999'), 'providers.acme.base_url', 'http:// or https:// URL'],
    ['an endpoint naming an unknown provider', CONTRACT_EXAMPLE.replace('- provider: acme', '- provider: acne'), 'models.acme/chat-small.endpoints[0].provider', 'unknown provider "acne"'],
    ['a negative price', CONTRACT_EXAMPLE.replace('prompt: 0.5', 'prompt: -1'), 'models.acme/chat-small.endpoints[0].pricing.prompt', '0 or more'],
    ['an upper-case model id', CONTRACT_EXAMPLE.replace('acme/chat-small:', 'Acme/Chat:'), 'models.Acme/Chat', 'lower case'],
    ['a missing price', CONTRACT_EXAMPLE.replace('pricing: { prompt: 0.5, completion: 1.5 }', 'pricing: { prompt: 0.5 }'), 'models.acme/chat-small.endpoints[0].pricing.completion', 'required'],
  ])('names the file, the field path and the expectation for %s', (_name, text, path, expectation) => {
    const error = failure(text, { ACME_API_KEY: 'x' });
    expect(error.file).toBe('agora.yaml');
    expect(error.message).toContain(path);
    expect(error.message).toContain(expectation);
  });

  it('loads the bundled catalog alone, each provider switched on only by its key variable', () => {
    const config = loadConfig({ env: { DEEPSEEK_API_KEY: 'sk-deepseek-test' } });
    expect(config.models.get('deepseek/deepseek-chat')?.endpoints[0]?.providerId).toBe('deepseek');
    expect(config.providers.get('deepseek')).toMatchObject({ enabled: true, baseUrl: 'https://api.deepseek.com/v1' });
    expect(config.providers.get('moonshot')).toMatchObject({ enabled: false });
    expect(config.providers.get('moonshot')!.disabledReason).toContain('MOONSHOT_API_KEY');
    expect([...config.models.keys()]).toEqual(expect.arrayContaining(['deepseek/deepseek-r1', 'z-ai/glm-4.5', 'openai/gpt-4o-mini']));
  });

  it('`agora serve` with a bad config prints the file and field path and exits 2 without starting', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agora-config-'));
    const file = join(folder, 'broken.yaml');
    writeFileSync(file, CONTRACT_EXAMPLE.replace('jurisdiction: US', 'jurisdiction: usa'));
    const cli = join(import.meta.dirname, '../../bin/agora.js');
    const result = await promisify(execFile)(process.execPath, [cli, 'serve', '--config', file, '--port', '0'], { timeout: 20_000 })
      .then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('providers.acme.jurisdiction');
    expect(result.stderr).toContain('ISO 3166');
  });
});
