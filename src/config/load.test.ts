import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

/** The minimal example of contracts.md, "Config file", verbatim. */
const CONTRACT_EXAMPLE = `providers:
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

const FILE = '/etc/agora/agora.yaml';

/** Runs loadConfig and returns the ConfigError it throws (fails the test when nothing is thrown). */
function configError(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ text, file: FILE, env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

/** One provider `acme` plus the given YAML lines under `models:`. */
function withModels(models: string): string {
  return `bundled_catalog: false\nproviders:\n  acme:\n    base_url: http://127.0.0.1:9999/v1\nmodels:\n${models}`;
}

describe('loadConfig', () => {
  it('loads the minimal example of the contract, merged over the bundled catalog', () => {
    const config = loadConfig({ text: CONTRACT_EXAMPLE, file: FILE, env: { ACME_API_KEY: 'sk-acme-test-key-0001' } });
    expect(config.source).toBe(FILE);
    const acme = config.providers.get('acme')!;
    expect(acme).toMatchObject({
      id: 'acme',
      type: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:9999/v1',
      apiKey: 'sk-acme-test-key-0001',
      jurisdiction: 'US',
      enabled: true,
      disabledReason: undefined,
    });
    const model = config.models.get('acme/chat-small')!;
    expect(model).toMatchObject({ id: 'acme/chat-small', author: 'acme', kind: 'chat', contextLength: 32768 });
    expect(model.endpoints).toHaveLength(1);
    expect(model.endpoints[0]).toMatchObject({
      providerId: 'acme',
      upstreamModel: 'small-v1',
      pricing: { prompt: 0.5, completion: 1.5 },
      contextLength: 32768,
      jurisdiction: 'US',
      status: 'active',
    });
    // The bundled catalog is still there beside the file's entries.
    expect(config.models.has('deepseek/deepseek-r1')).toBe(true);
  });

  it('keeps a provider whose key variable is unset, switched off with the variable named', () => {
    const acme = loadConfig({ text: CONTRACT_EXAMPLE, file: FILE, env: {} }).providers.get('acme')!;
    expect(acme.enabled).toBe(false);
    expect(acme.apiKey).toBeUndefined();
    expect(acme.disabledReason).toContain('ACME_API_KEY');
  });

  describe('${ENV} interpolation', () => {
    const yaml = `bundled_catalog: false
providers:
  acme:
    base_url: \${ACME_URL}
    api_key: \${ACME_SECRET}
    name: \${ACME_NAME:-Acme Cloud}
    headers: { x-region: "\${ACME_REGION:-eu}-west" }
`;

    it('replaces ${VAR} with the variable and uses ${VAR:-default} only when the variable is unset or empty', () => {
      const set = loadConfig({
        text: yaml,
        file: FILE,
        env: { ACME_URL: 'http://10.0.0.1:8000/v1', ACME_SECRET: 'sk-acme-1', ACME_NAME: 'Acme EU', ACME_REGION: 'us' },
      }).providers.get('acme')!;
      expect(set).toMatchObject({
        baseUrl: 'http://10.0.0.1:8000/v1',
        apiKey: 'sk-acme-1',
        name: 'Acme EU',
        headers: { 'x-region': 'us-west' },
      });

      const defaults = loadConfig({
        text: yaml,
        file: FILE,
        env: { ACME_URL: 'http://10.0.0.1:8000/v1', ACME_SECRET: 'sk-acme-1', ACME_NAME: '' },
      }).providers.get('acme')!;
      expect(defaults).toMatchObject({ name: 'Acme Cloud', headers: { 'x-region': 'eu-west' } });
    });

    it('reports a missing variable without a default as a ConfigError naming the field path and the variable', () => {
      const error = configError(yaml, { ACME_SECRET: 'sk-acme-1' });
      expect(error.file).toBe(FILE);
      expect(error.path).toBe('providers.acme.base_url');
      expect(error.message).toContain(FILE);
      expect(error.message).toContain('providers.acme.base_url');
      expect(error.message).toContain('ACME_URL');
    });
  });

  describe('errors name the file, the field path and what was expected', () => {
    it('bad YAML: the line number', () => {
      const error = configError('providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n   api_key_env: [ACME\n');
      expect(error.message).toContain(FILE);
      expect(error.message).toMatch(/line 4\b/);
      expect(error.message).toMatch(/YAML/i);
    });

    it('an unknown field: its full path', () => {
      const error = configError('providers:\n  acme:\n    baseurl: http://127.0.0.1:9999/v1\n');
      expect(error.path).toBe('providers.acme.baseurl');
      expect(error.message).toContain(`${FILE} at providers.acme.baseurl`);
      expect(error.message).toMatch(/unknown field/);
    });

    it('base_url that is not a URL', () => {
      const error = configError('providers:\n  acme:\n    base_url: localhost-9999\n');
      expect(error.path).toBe('providers.acme.base_url');
      expect(error.message).toContain(FILE);
      expect(error.message).toMatch(/expected an http:\/\/ or https:\/\/ URL/);
    });

    it('an endpoint naming a provider that does not exist', () => {
      const error = configError(
        withModels('  x/y:\n    endpoints:\n      - provider: acmee\n        model: m\n        pricing: { prompt: 1, completion: 1 }\n'),
      );
      expect(error.path).toBe('models.x/y.endpoints[0].provider');
      expect(error.message).toContain(`${FILE} at models.x/y.endpoints[0].provider`);
      expect(error.message).toContain('"acmee"');
      expect(error.message).toContain('acme'); // the known providers are listed
    });

    it('a negative price', () => {
      const error = configError(
        withModels('  x/y:\n    endpoints:\n      - provider: acme\n        model: m\n        pricing: { prompt: -0.5, completion: 1 }\n'),
      );
      expect(error.path).toBe('models.x/y.endpoints[0].pricing.prompt');
      expect(error.message).toContain(FILE);
      expect(error.message).toMatch(/0 or more/);
    });

    it('an upper-case model id', () => {
      const error = configError(
        withModels(
          '  Acme/Chat-Small:\n    endpoints:\n      - provider: acme\n        model: m\n        pricing: { prompt: 1, completion: 1 }\n',
        ),
      );
      expect(error.path).toBe('models.Acme/Chat-Small');
      expect(error.message).toContain(FILE);
      expect(error.message).toMatch(/lower case/);
    });

    it('a required field that is missing says so', () => {
      const error = configError(
        withModels('  x/y:\n    endpoints:\n      - provider: acme\n        model: m\n        pricing: { prompt: 1 }\n'),
      );
      expect(error.path).toBe('models.x/y.endpoints[0].pricing.completion');
      expect(error.message).toMatch(/required field missing/);
    });

    it('a field of the wrong type is not reported as missing', () => {
      const error = configError('providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n    max_connections: lots\n');
      expect(error.path).toBe('providers.acme.max_connections');
      expect(error.message).toMatch(/expected a number/);
      expect(error.message).not.toMatch(/missing/);
    });

    it('a file that does not exist', () => {
      let caught: unknown;
      try {
        loadConfig({ file: '/nonexistent/agora-missing.yaml', env: {} });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toContain('/nonexistent/agora-missing.yaml');
      expect((caught as Error).message).toMatch(/not found/);
    });
  });

  describe('the bundled catalog alone (no file)', () => {
    it('loads, and keeps DeepSeek off with the variable named when DEEPSEEK_API_KEY is unset', () => {
      const config = loadConfig({ env: {} });
      expect(config.source).toBeNull();
      expect(config.models.get('deepseek/deepseek-r1')?.endpoints[0]).toMatchObject({
        providerId: 'deepseek',
        upstreamModel: 'deepseek-reasoner',
      });
      const deepseek = config.providers.get('deepseek')!;
      expect(deepseek.enabled).toBe(false);
      expect(deepseek.disabledReason).toContain('DEEPSEEK_API_KEY');
      // Nothing else switches itself on either: no key, no local server address.
      expect([...config.providers.values()].filter((provider) => provider.enabled)).toEqual([]);
    });

    it('switches DeepSeek on, with its key, when DEEPSEEK_API_KEY is set in env', () => {
      const config = loadConfig({ env: { DEEPSEEK_API_KEY: 'sk-deepseek-test-0001' } });
      const deepseek = config.providers.get('deepseek')!;
      expect(deepseek).toMatchObject({
        enabled: true,
        apiKey: 'sk-deepseek-test-0001',
        disabledReason: undefined,
        baseUrl: 'https://api.deepseek.com/v1',
      });
      expect(config.providers.get('openai')!.enabled).toBe(false);
    });

    it('does not read process.env when env is given', () => {
      const previous = process.env.DEEPSEEK_API_KEY;
      process.env.DEEPSEEK_API_KEY = 'sk-from-process-env-0001';
      try {
        expect(loadConfig({ env: {} }).providers.get('deepseek')!.enabled).toBe(false);
      } finally {
        if (previous === undefined) delete process.env.DEEPSEEK_API_KEY;
        else process.env.DEEPSEEK_API_KEY = previous;
      }
    });
  });

  describe('secrets never reach an error message', () => {
    const SECRET = 'sk-acme-CANARY-upstream-secret-9f8e7d6c5b4a';
    const cases: Record<string, string> = {
      'a key interpolated where a variable name is expected':
        'providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n    api_key_env: ${ACME_KEY}\n',
      'a key interpolated into base_url': 'providers:\n  acme:\n    base_url: ${ACME_KEY}\n',
      'a key interpolated into a number field':
        'providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n    max_connections: ${ACME_KEY}\n',
      'a key interpolated into the provider type': 'providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n    type: ${ACME_KEY}\n',
      'another field of a provider with an api_key is wrong':
        'providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n    api_key: ${ACME_KEY}\n    jurisdiction: usa\n',
      'an endpoint of a provider with an api_key is wrong': withModels(
        '  x/y:\n    endpoints:\n      - provider: nope\n        model: m\n        pricing: { prompt: 1, completion: 1 }\n',
      ).replace('base_url: http://127.0.0.1:9999/v1', 'base_url: http://127.0.0.1:9999/v1\n    api_key: ${ACME_KEY}'),
    };
    for (const [name, text] of Object.entries(cases)) {
      it(name, () => {
        const error = configError(text, { ACME_KEY: SECRET });
        expect(error.message).not.toContain(SECRET);
        expect(error.message).not.toContain(SECRET.slice(8, 30));
        expect(JSON.stringify({ ...error })).not.toContain(SECRET);
      });
    }
  });
});

describe('agora serve --config with a bad file (CLI)', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const folder = mkdtempSync(join(tmpdir(), 'agora-config-test-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function serve(configFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/agora.js', 'serve', '--config', configFile, '--db', 'sqlite::memory:', '--port', '0'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
      child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('exits 2 without starting and names the file and the field path', async () => {
    const file = join(folder, 'bad-field.yaml');
    writeFileSync(file, 'providers:\n  acme:\n    baseurl: http://127.0.0.1:9999/v1\n');
    const { code, stdout, stderr } = await serve(file);
    expect(stderr).toContain(file);
    expect(stderr).toContain('providers.acme.baseurl');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).not.toContain('listening');
    expect(code).toBe(2);
  });

  it('exits 2 on invalid YAML and names the file and the line', async () => {
    const file = join(folder, 'bad-yaml.yaml');
    writeFileSync(file, 'providers:\n  acme:\n    base_url: http://127.0.0.1/v1\n   jurisdiction: [US\n');
    const { code, stderr } = await serve(file);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(/line 4\b/);
    expect(code).toBe(2);
  });
});
