/**
 * Habits of the tree, checked with every test run (and so in CI): no import cycle between the
 * folders of src/ or between its files (scripts/check-cycles.mjs), and every source file formatted
 * by Prettier (`npm run format` fixes it).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

describe('the tree', () => {
  it('has no import cycle between folders or files of src/', async () => {
    const result = await run(process.execPath, [join(ROOT, 'scripts/check-cycles.mjs'), '--root', join(ROOT, 'src')]).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect(result.stdout).toMatch(/^no import cycles/m);
  });

  it('is formatted (prettier --check; `npm run format` fixes it)', async () => {
    const prettier = join(ROOT, 'node_modules/prettier/bin/prettier.cjs');
    const result = await run(process.execPath, [prettier, '--check', '--log-level', 'warn', '.'], { cwd: ROOT }).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
  }, 60_000);
});
