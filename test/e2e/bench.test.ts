/**
 * Benchmarks end to end, through a real gateway: a suite given as a file in GSM8K's documented
 * format (200 generated sums), asked of scripted hosts (test/fakes/quiz-upstream.ts) that answer
 * correctly with a known probability p:
 *   - the score's 95% interval holds p, and two runs reproduce within their intervals;
 *   - an interrupted run resumed asks no item twice and finishes;
 *   - host verification flags a degraded host (wrong answers, malformed tool arguments) and not a
 *     faithful one, and `provider: {verified: true}` routes around the flagged one;
 *   - speed probes and the leaderboard (index, blended price, speed, verification per host);
 *   - `agora bench run` from the command line, resumable, with its progress on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startQuizUpstream, type QuizUpstream } from '../fakes/quiz-upstream.js';
import { MASTER_KEY, routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { seededRandom } from '../helpers/random.js';
import { loadSuite } from '../../src/evals/formats/index.js';
import { runSuite } from '../../src/evals/runner.js';
import { verifyHosts } from '../../src/evals/verify.js';
import { probeAll } from '../../src/evals/probe.js';
import { parseHubModelInfo } from '../../src/catalog/import/hf-hub.js';
import { lineageRows } from '../../src/catalog/import/lineage.js';

const run = promisify(execFile);

/** Gives the two quiz models Hugging Face ids, so the leaderboard can place one under the other. */
function withHubIds(yaml: string): string {
  return yaml
    .replace('  quiz/solver:\n    endpoints:', '  quiz/solver:\n    hugging_face_id: quiz-org/Solver\n    endpoints:')
    .replace('  quiz/p70:\n    endpoints:', '  quiz/p70:\n    hugging_face_id: quiz-org/Solver-p70\n    endpoints:');
}
const CLI = join(import.meta.dirname, '../../bin/agora.js');
const ITEMS = 200;

describe('benchmarks through the gateway', () => {
  let folder: string;
  let suiteFile: string;
  let quiz: Record<'ref' | 'good' | 'bad' | 'p70', QuizUpstream>;
  let gateway: TestGateway;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'agora-bench-'));
    suiteFile = join(folder, 'sums.jsonl');
    const random = seededRandom(7);
    const lines: string[] = [];
    for (let index = 0; index < ITEMS; index++) {
      const a = 10 + Math.floor(random() * 900);
      const b = 10 + Math.floor(random() * 900);
      lines.push(JSON.stringify({ question: `What is ${a} + ${b}?`, answer: `${a} + ${b} = ${a + b}\n#### ${a + b}` }));
    }
    writeFileSync(suiteFile, `${lines.join('\n')}\n`);
    quiz = {
      ref: await startQuizUpstream({ p: 0.9, seed: 1, tools: 'faithful' }),
      good: await startQuizUpstream({ p: 0.9, seed: 2, tools: 'faithful' }),
      bad: await startQuizUpstream({ p: 0.4, seed: 3, tools: 'degraded' }),
      p70: await startQuizUpstream({ p: 0.7, seed: 4, streamTokens: 32 }),
    };
    gateway = await startTestGateway({
      yaml: withHubIds(
        routingConfig(
          { ref: quiz.ref.url, good: quiz.good.url, bad: quiz.bad.url, p70: quiz.p70.url },
          {
            'quiz/solver': [
              { provider: 'ref', model: 'solver', prompt: 1, completion: 2 },
              { provider: 'good', model: 'solver', prompt: 0.5, completion: 1 },
              { provider: 'bad', model: 'solver', prompt: 0.2, completion: 0.4 },
            ],
            'quiz/p70': [{ provider: 'p70', model: 'p70', prompt: 0.4, completion: 0.8 }],
          },
        ),
      ),
    });
    // Lineage: quiz/p70 is a finetune of quiz/solver (by their Hugging Face ids).
    await gateway.running.store.lineage.import(
      lineageRows([
        parseHubModelInfo({ id: 'quiz-org/Solver', downloads: 10, tags: [] }),
        parseHubModelInfo({ id: 'quiz-org/Solver-p70', downloads: 1, tags: ['base_model:finetune:quiz-org/Solver'] }),
      ]),
    );
    await gateway.running.gateway.lineage.refresh();
  });
  afterAll(async () => {
    await gateway?.close();
    for (const fake of Object.values(quiz ?? {})) await fake.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const base = () => ({ gatewayUrl: gateway.url, apiKey: MASTER_KEY, store: gateway.running.store.evals });

  it('a suite given as any path in the documented format scores p within its 95% interval, and two runs agree within their intervals', async () => {
    const { suite, source } = await loadSuite('gsm8k', suiteFile);
    expect(suite.items).toHaveLength(ITEMS);
    const first = await runSuite({ ...base(), suite, source, model: 'quiz/p70', concurrency: 8, repeats: 1, temperature: 0, seed: 1 });
    expect(first.complete).toBe(true);
    expect(first.totals.n).toBe(ITEMS);
    expect(first.totals.errors).toBe(0);
    expect(first.score.low).toBeLessThanOrEqual(0.7);
    expect(first.score.high).toBeGreaterThanOrEqual(0.7);
    // Every call went through the gateway's accounting: priced, with tokens.
    expect(first.totals.cost_usd).toBeGreaterThan(0);
    expect(first.totals.prompt_tokens).toBeGreaterThan(ITEMS);
    const second = await runSuite({ ...base(), suite, source, model: 'quiz/p70', concurrency: 8, repeats: 1, temperature: 0, seed: 1 });
    expect(second.run.id).not.toBe(first.run.id);
    expect(second.score.low).toBeLessThanOrEqual(first.score.high);
    expect(second.score.high).toBeGreaterThanOrEqual(first.score.low);
    const items = await gateway.running.store.evals.items(first.run.id);
    expect(items[0]).toMatchObject({ provider: 'p70', error: null });
    expect(items.every((item) => item.latency_ms > 0 && item.prompt.includes('What is'))).toBe(true);
  });

  it('an interrupted run, resumed, asks no item twice and finishes', async () => {
    const { suite, source } = await loadSuite('gsm8k', suiteFile);
    const before = new Map(quiz.ref.asked);
    const options = {
      ...base(),
      suite,
      source,
      model: 'quiz/solver',
      provider: 'ref',
      limit: 60,
      concurrency: 4,
      repeats: 1,
      temperature: 0.3,
    };
    const interrupted = await runSuite({ ...options, stopAfter: 25 });
    expect(interrupted.complete).toBe(false);
    expect(interrupted.totals.n).toBeGreaterThanOrEqual(25);
    expect(interrupted.run.status).toBe('running');
    const resumed = await runSuite(options);
    expect(resumed.run.id).toBe(interrupted.run.id);
    expect(resumed.resumed).toBe(interrupted.totals.n);
    expect(resumed.complete).toBe(true);
    expect(resumed.totals.n).toBe(60);
    const askedNow = [...quiz.ref.asked].filter(([question, count]) => count > (before.get(question) ?? 0));
    expect(askedNow).toHaveLength(60);
    expect(askedNow.every(([question, count]) => count - (before.get(question) ?? 0) === 1)).toBe(true);
  });

  it('verification flags the degraded host and not the faithful one; verified: true routes around it', async () => {
    const { suite, source } = await loadSuite('gsm8k', suiteFile);
    const verdicts = await verifyHosts({
      ...base(),
      suite,
      source,
      model: 'quiz/solver',
      reference: 'ref',
      providers: ['good', 'bad'],
      limit: 100,
      concurrency: 8,
    });
    const byProvider = Object.fromEntries(verdicts.map((verdict) => [verdict.provider, verdict.row]));
    expect(byProvider.ref).toMatchObject({ status: 'passed', reason: 'the reference endpoint' });
    expect(byProvider.good).toMatchObject({ status: 'passed' });
    expect(byProvider.bad).toMatchObject({ status: 'flagged' });
    expect(byProvider.bad!.reason).toContain('significantly below');
    expect(byProvider.bad!.reason).toContain('schema');
    expect(byProvider.bad!.schema_accuracy).toBe(0);
    expect(byProvider.good!.schema_accuracy).toBe(1);
    expect(byProvider.good!.tool_f1).toBe(1);

    expect(await gateway.running.gateway.verifications.refresh()).toBe(true);
    const before = quiz.bad.calls;
    const ask = (provider: Record<string, unknown>) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'quiz/solver', messages: [{ role: 'user', content: 'What is 1 + 1?' }], provider }),
      });
    // The flagged host is the cheapest, so without the filter it takes most requests; with it, none.
    for (let index = 0; index < 10; index++) {
      const response = await ask({ verified: true, sort: 'price' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-agora-provider')).not.toBe('bad');
    }
    expect(quiz.bad.calls).toBe(before);
    // The catalog shows each host's verification.
    const endpoints = (await fetch(`${gateway.url}/api/v1/models/quiz/solver/endpoints`).then((response) => response.json())) as any;
    const shown = Object.fromEntries(endpoints.data.endpoints.map((item: any) => [item.tag, item.verification?.status ?? null]));
    expect(shown).toEqual({ ref: 'passed', good: 'passed', bad: 'flagged' });
    const refused = await ask({ verified: true, only: ['bad'] });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('flagged by host verification');
    const unverified = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'quiz/p70', messages: [{ role: 'user', content: 'x' }], provider: { verified: 'yes' } }),
    });
    expect(unverified.status).toBe(400);
    expect(await unverified.text()).toContain('provider.verified');
  });

  it('speed probes and the leaderboard: index, blended price, speed, each host’s verification', async () => {
    const results = await probeAll(gateway.url, MASTER_KEY, [{ model: 'quiz/p70', provider: 'p70' }], gateway.running.store.evals);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.error).toBeNull();
      expect(result.output_tokens).toBe(32);
      expect(result.ttft_ms).toBeGreaterThan(0);
      expect(result.output_tps).toBeGreaterThan(0);
      expect(result.e2e_ms).toBeGreaterThanOrEqual(result.ttft_ms);
    }
    expect(results[1]!.input_tokens).toBeGreaterThan(results[0]!.input_tokens * 5);
    const response = await fetch(`${gateway.url}/api/v1/leaderboard`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(200);
    const board = (await response.json()) as any;
    const p70 = board.data.find((row: any) => row.model === 'quiz/p70');
    expect(p70.suites.gsm8k.n).toBe(ITEMS);
    expect(p70.index).toBe(p70.suites.gsm8k.score);
    expect(p70.coverage).toBe(0.2);
    expect(p70.blended_price).toBe((3 * 0.4 + 0.8) / 4);
    expect(p70.median_output_tps).toBeGreaterThan(0);
    expect(p70.probes).toBe(2);
    expect(board.chart).toContainEqual(expect.objectContaining({ model: 'quiz/p70', blended_price: 0.5 }));
    expect(board.index.weights).toMatchObject({ mmlu: 0.25, gsm8k: 0.2 });
    // Lineage meets the leaderboard: the finetune's row names its base and the base's index.
    const solverRow = board.data.find((row: any) => row.model === 'quiz/solver');
    expect(solverRow.index).not.toBeNull();
    expect(p70.base).toEqual({ model: 'quiz/solver', relation: 'finetune', index: solverRow.index });
    // Verification runs are not leaderboard runs; the hosts' verdicts are shown.
    const solver = board.data.find((row: any) => row.model === 'quiz/solver');
    expect(solver?.hosts ?? []).toEqual(
      expect.arrayContaining([expect.objectContaining({ provider: 'bad', verification: expect.objectContaining({ status: 'flagged' }) })]),
    );
    const anonymous = await fetch(`${gateway.url}/api/v1/leaderboard`);
    expect(anonymous.status).toBe(401);
  });

  it('agora bench run: progress on stderr, a summary line, --json, a bad suite named', async () => {
    const env = { ...process.env, AGORA_URL: gateway.url, AGORA_API_KEY: MASTER_KEY, AGORA_DB: gateway.databaseUrl };
    const args = [
      CLI,
      'bench',
      'run',
      '--suite',
      'gsm8k',
      '--file',
      suiteFile,
      '--model',
      'quiz/p70',
      '--limit',
      '20',
      '--concurrency',
      '4',
      '--seed',
      '9',
    ];
    const first = await run(process.execPath, args, { env });
    expect(first.stderr).toMatch(/gsm8k quiz\/p70 \[#+\] 20\/20 100%/);
    expect(first.stdout).toMatch(/^run run_\w+: \d+\/20 correct = [\d.]+% \(95% CI [\d.]+–[\d.]+\)/);
    const json = await run(process.execPath, [...args, '--json'], { env });
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({ items: 20, complete: true, seed: 9 });
    const bad = await run(process.execPath, [CLI, 'bench', 'run', '--suite', 'nope', '--model', 'quiz/p70'], { env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((bad as { stderr: string }).stderr).toContain("unknown suite 'nope'");
    const help = await run(process.execPath, [CLI, 'bench', 'run', '--help']);
    expect(help.stdout).toContain('--repeats <n>');
  });
});
