/**
 * The web console in Debian's Chromium (headless, driven by playwright-core) against a real gateway
 * with a scripted upstream and known data: traffic of known shares (3 requests by acme's model, 1 by
 * beta's, each 18 tokens: 75% / 25%), a lineage family, a finished benchmark run (stored directly, so it adds no traffic), a policy. Every
 * page loads with data and without console errors; a key is created; a playground message streams;
 * the rankings show the known shares; the phone layout does not overflow; a failing API shows an
 * error, not a blank page. Screenshots of each page go to test-results/. Skipped with a message when
 * Chromium or the built console is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { parseHubModelInfo } from '../../src/catalog/import/hf-hub.js';
import { lineageRows } from '../../src/catalog/import/lineage.js';

const CHROMIUM = '/usr/bin/chromium';
const BUILT = new URL('../../dist/console/index.html', import.meta.url);
const SHOTS = join(import.meta.dirname, '../../test-results');
const playwright = await import('playwright-core').catch(() => undefined);
const ready = existsSync(CHROMIUM) && existsSync(BUILT) && playwright !== undefined;
if (!ready)
  console.warn(
    `console browser tests skipped: ${!existsSync(CHROMIUM) ? `${CHROMIUM} is absent (apt-get install chromium)` : !existsSync(BUILT) ? 'the console is not built (npm run build)' : 'playwright-core is not installed'}`,
  );

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

describe.skipIf(!ready)('the console in a browser', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    upstream = await startFakeUpstream({ name: 'console' });
    gateway = await startTestGateway({
      yaml: routingConfig(
        { acmehost: { url: upstream.url, extra: 'jurisdiction: US' }, betahost: { url: upstream.url, extra: 'jurisdiction: DE' } },
        {
          'acme/chat': [{ provider: 'acmehost', model: 'ok', prompt: 0.5, completion: 1.5, extra: 'context_length: 32768' }],
          'beta/chat': [
            { provider: 'betahost', model: 'ok', prompt: 0.2, completion: 0.6, extra: 'context_length: 65536' },
            { provider: 'acmehost', model: 'ok', prompt: 0.3, completion: 0.9, extra: 'context_length: 65536' },
          ],
          'acme/thinker': [{ provider: 'acmehost', model: 'reasoning', prompt: 1, completion: 2, extra: 'context_length: 32768' }],
        },
        `authors:
  acme: { name: Acme AI, country: US }
  beta: { name: Beta Labs, country: DE }
policies:
  - { id: no-pricey, description: nothing above $50 per 1M, max_price: { completion: 50 } }
`,
      ),
    });
    // Known traffic: acme 3 requests, beta 1, 18 tokens each; apps by X-Title.
    const send = (model: string, title: string) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-title': title },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((response) => expect(response.status).toBe(200));
    await send('acme/chat', 'Writer');
    await send('acme/chat', 'Writer');
    await send('acme/chat', 'Coder');
    await send('beta/chat', 'Coder');
    await gateway.running.gateway.sink.flush();
    // A lineage family and a finished benchmark run.
    await gateway.running.store.lineage.import(
      lineageRows([
        parseHubModelInfo({ id: 'acme/Base-7B', downloads: 100, tags: [] }),
        parseHubModelInfo({ id: 'someone/Base-7B-tuned', downloads: 10, tags: ['base_model:finetune:acme/Base-7B'] }),
        parseHubModelInfo({ id: 'someone/Base-7B-GGUF', downloads: 5, tags: ['base_model:quantized:acme/Base-7B'] }),
      ]),
    );
    await gateway.running.gateway.lineage.refresh();
    // A finished benchmark run, stored directly (its calls would add traffic to the known shares).
    const evals = gateway.running.store.evals;
    const now = Date.now();
    await evals.createRun({
      id: 'run_console_test',
      suite: 'gsm8k',
      source: 'inline',
      model: 'beta/chat',
      provider: null,
      status: 'done',
      temperature: 0,
      seed: null,
      repeats: 1,
      item_limit: null,
      items_total: 4,
      template: '{question}',
      purpose: 'bench',
      wall_ms: 1200,
      created_at: now,
      updated_at: now,
    });
    for (const [index, correct] of [1, 1, 1, 0].entries()) {
      await evals.insertItem({
        run_id: 'run_console_test',
        item_id: String(index),
        repeat: 0,
        prompt: `q${index}`,
        answer: 'Answer: 4',
        extracted: '4',
        correct,
        detail: null,
        error: null,
        prompt_tokens: 12,
        completion_tokens: 6,
        cost_usd: 0.00001,
        latency_ms: 20,
        provider: 'betahost',
        created_at: now,
      });
    }
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  async function visit(name: string, testId: string): Promise<void> {
    await page.goto(`${gateway.url}/#/${name}`);
    await page.locator('h1').first().waitFor();
    await page.getByTestId(testId).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
  }

  it('the first page lists the catalog without a key, and signing in keeps the key out of the URL', async () => {
    await page.goto(`${gateway.url}/`);
    await page.getByTestId('models-table').waitFor();
    const text = await page.getByTestId('models-table').innerText();
    expect(text).toContain('acme/chat');
    expect(text).toContain('beta/chat');
    await page.fill('#key', MASTER_KEY);
    await page.press('#key', 'Enter');
    await page.getByText('Sign out').waitFor();
    expect(page.url()).not.toContain(MASTER_KEY);
    expect(await page.evaluate("sessionStorage.getItem('agora.key')")).toBe(MASTER_KEY);
    await page.screenshot({ path: join(SHOTS, 'console-models.png'), fullPage: true });
  });

  it("a model's page shows its hosts", async () => {
    await visit('models/beta/chat', 'hosts-table');
    const hosts = await page.getByTestId('hosts-table').innerText();
    expect(hosts).toContain('betahost');
    expect(hosts).toContain('acmehost');
  });

  it('rankings show the known token shares by author', async () => {
    await visit('rankings', 'rankings-authors');
    await page.getByTestId('rankings-authors').getByText('75.0%').first().waitFor({ timeout: 15_000 });
    const authors = await page.getByTestId('rankings-authors').innerText();
    expect(authors).toMatch(/acme[\s\S]*75\.0%/i);
    expect(authors).toMatch(/beta[\s\S]*25\.0%/i);
    await page.getByTestId('rankings-apps').first().waitFor();
    expect(await page.getByTestId('rankings-apps').innerText()).toMatch(/Writer|Coder/);
    expect(await page.locator('[data-testid="chart"]').count()).toBeGreaterThan(0);
  });

  it('leaderboard, ecosystem and governance render their data', async () => {
    await visit('leaderboard', 'leaderboard-table');
    expect(await page.getByTestId('leaderboard-table').innerText()).toContain('beta/chat');
    await visit('ecosystem', 'families-table');
    expect(await page.getByTestId('families-table').innerText()).toContain('acme/Base-7B');
    await visit('governance', 'policies-table');
    expect(await page.getByTestId('policies-table').innerText()).toContain('no-pricey');
    await page.getByTestId('check-model').fill('beta/chat');
    await page.getByTestId('check-region').fill('DE');
    await page.getByTestId('check-submit').click();
    await page.getByTestId('check-result').waitFor();
    expect(await page.getByTestId('check-result').innerText()).toMatch(/allowed/i);
  });

  it('keys: an admin creates a key and sees it once; the generation log lists the traffic', async () => {
    await visit('keys', 'keys-table');
    await page.getByTestId('new-key-name').fill('made-in-the-console');
    await page.getByTestId('create-key').click();
    await page.getByTestId('created-key').waitFor();
    expect(await page.getByTestId('created-key').innerText()).toMatch(/sk-agora-/);
    await page.getByTestId('keys-table').getByText('made-in-the-console').waitFor();
    await page.getByTestId('generations').first().waitFor();
    expect(await page.getByTestId('generations').first().innerText()).toContain('acme/chat');
    await page.screenshot({ path: join(SHOTS, 'console-keys.png'), fullPage: true });
  });

  it('playground: a message streams, with cost, tokens and provider after it', async () => {
    await visit('playground', 'prompt');
    const before = upstream.requests.length;
    await page.getByTestId('prompt').fill('Say hello');
    await page.getByTestId('send').click();
    await page.getByTestId('answer').getByText('Hello from the fake upstream.').first().waitFor({ timeout: 20_000 });
    await page.getByTestId('answer-stats').first().waitFor();
    const stats = await page.getByTestId('answer-stats').first().innerText();
    expect(stats).toMatch(/acmehost|betahost/);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ stream: true });
    await page.screenshot({ path: join(SHOTS, 'console-playground.png'), fullPage: true });
  });

  it('on a phone every page fits the screen width', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(`${gateway.url}/`);
    await phone.evaluate(`sessionStorage.setItem('agora.key', '${MASTER_KEY}')`);
    for (const name of ['models', 'rankings', 'leaderboard', 'ecosystem', 'playground', 'keys', 'governance']) {
      await phone.goto(`${gateway.url}/#/${name}`);
      await phone.locator('h1').first().waitFor();
      const overflow = await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(`${name}: ${overflow}px wider than the screen`).toBe(`${name}: 0px wider than the screen`);
    }
    await phone.screenshot({ path: join(SHOTS, 'console-phone-governance.png'), fullPage: true });
    await phone.close();
  });

  it('a failing API shows an error in place, not a blank page', async () => {
    const failing = await browser.newPage();
    await failing.route('**/api/v1/rankings**', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"message":"injected failure"}}' }),
    );
    await failing.goto(`${gateway.url}/`);
    await failing.evaluate(`sessionStorage.setItem('agora.key', '${MASTER_KEY}')`);
    await failing.goto(`${gateway.url}/#/rankings`);
    await failing.getByRole('alert').first().waitFor();
    expect(await failing.getByRole('alert').first().innerText()).toContain('injected failure');
    expect(await failing.locator('nav a').count()).toBe(7);
    await failing.close();
  });

  it('is keyboard reachable: Tab reaches the navigation, Enter follows it', async () => {
    await page.goto(`${gateway.url}/#/models`);
    await page.locator('h1').first().waitFor();
    let reached = false;
    for (let press = 0; press < 20 && !reached; press++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate('document.activeElement && document.activeElement.textContent')) === 'Leaderboard';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('leaderboard-table').waitFor();
    expect(page.url()).toContain('#/leaderboard');
  });

  it('an account without traffic is told how to get some instead of shown an empty chart', async () => {
    const fresh = await browser.newPage();
    const key = await gateway.createKey('no-traffic');
    await fresh.goto(`${gateway.url}/`);
    await fresh.evaluate(`sessionStorage.setItem('agora.key', '${key}')`);
    await fresh.goto(`${gateway.url}/#/rankings`);
    await fresh
      .getByText('No traffic in this period yet')
      .first()
      .waitFor({ timeout: 15_000 })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}\npage text: ${(await fresh.locator('body').innerText()).slice(0, 1500)}`);
      });
    expect(await fresh.locator('body').innerText()).toContain('/v1/chat/completions');
    await fresh.screenshot({ path: join(SHOTS, 'console-rankings-empty.png'), fullPage: true });
    await fresh.close();
  });

  it('no page wrote an error or a warning to the console', () => {
    expect(problems).toEqual([]);
  });
});
