/**
 * The build's one-file command line (scripts/fast-start.mjs bundles dist/cli/ into dist/app/, which
 * bin/agora.js runs): the same commands as the file-by-file dist/cli/ (AGORA_UNBUNDLED=1), and lazy
 * imports still lazy. Needs a built dist/ (`npm run build`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv } from '../helpers/processes.js';

const run = promisify(execFile);
const APP = join(import.meta.dirname, '../../dist/app');

async function agora(args: string[], unbundled: boolean): Promise<string> {
  const env = { ...cliEnv(), ...(unbundled ? { AGORA_UNBUNDLED: '1' } : {}) };
  const { stdout } = await run(process.execPath, [CLI, ...args], { env, timeout: 60_000 });
  return stdout;
}

describe('the bundled command line', () => {
  it('is built, in stable file names, with the lazily loaded parts in chunks of their own', () => {
    expect(existsSync(join(APP, 'agora.js'))).toBe(true);
    const files = readdirSync(APP);
    // the commands and the optional parts (PostgreSQL, tracing) stay out of what `agora serve` loads first
    for (const chunk of ['serve.js', 'keys.js', 'postgres.js', 'otlp.js']) expect(files).toContain(chunk);
    expect(files.every((name) => /^[a-z0-9-]+\.js$/.test(name))).toBe(true);
  });

  it('answers every command as the file-by-file build does', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['keys', 'create', '--help'], ['bench', 'run', '--help'], ['--version']]) {
      expect(await agora(args, false)).toBe(await agora(args, true));
    }
  });
});
