/**
 * Every provider folder has the fixed file set (architecture.md, convention 1), replays fixtures
 * through the shared suite (convention 10), and is registered under its folder name.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROVIDER_TYPES } from '../config/schema.js';
import { ADAPTER_FACTORIES } from './registry.js';

const ALLOWED_FILES = new Set(['adapter.ts', 'request.ts', 'response.ts', 'stream.ts', 'errors.ts', 'adapter.test.ts']);
const REQUIRED_FILES = ['adapter.ts', 'adapter.test.ts'];
/** Recorded vendor answers: `<case>.json`, `<case>.sse` or `<case>.chunks.txt` (convention 9). */
const FIXTURE_NAME = /^[a-z0-9][a-z0-9-]*\.(json|sse|chunks\.txt)$/;

/** Everything wrong with the provider folders under `root`, one line each (empty when all is well). */
function structureProblems(root: string, registered: readonly string[]): string[] {
  const problems: string[] = [];
  const folders = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory());
  for (const folder of folders) {
    const path = join(root, folder);
    const entries = readdirSync(path);
    for (const required of REQUIRED_FILES) {
      if (!entries.includes(required)) problems.push(`${folder}/ has no ${required}`);
    }
    for (const entry of entries) {
      const isDirectory = statSync(join(path, entry)).isDirectory();
      if (entry === 'fixtures' && isDirectory) {
        for (const fixture of readdirSync(join(path, entry))) {
          if (!FIXTURE_NAME.test(fixture))
            problems.push(`${folder}/fixtures/${fixture} is not <case>.json, <case>.sse or <case>.chunks.txt`);
        }
      } else if (!ALLOWED_FILES.has(entry) || isDirectory) {
        problems.push(`${folder}/${entry} is not one of ${[...ALLOWED_FILES].join(', ')} or a fixtures/ folder`);
      }
    }
    const testText = entries.includes('adapter.test.ts') ? readFileSync(join(path, 'adapter.test.ts'), 'utf8') : '';
    // An adapter with no wire format to replay (in-process inference) states why in its test file instead.
    if (
      entries.includes('adapter.test.ts') &&
      !testText.includes('adapterConformance(') &&
      !testText.includes('conformance: not applicable')
    ) {
      problems.push(`${folder}/adapter.test.ts does not run adapterConformance`);
    }
    if (!registered.includes(folder)) problems.push(`${folder}/ is not registered in registry.ts ADAPTER_FACTORIES`);
  }
  for (const type of registered) {
    if (!folders.includes(type)) problems.push(`provider type ${type} is registered but has no folder`);
  }
  return problems;
}

describe('provider folders', () => {
  const root = import.meta.dirname;
  const registered = Object.keys(ADAPTER_FACTORIES);

  it('every folder has the fixed file set, runs the conformance suite and is registered under its name', () => {
    expect(structureProblems(root, registered)).toEqual([]);
  });

  it('there is at least one provider folder, and every provider type of the config schema has a factory', () => {
    expect(readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory()).length).toBeGreaterThan(0);
    expect([...registered].sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  describe('the check itself', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'agora-structure-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    function folder(name: string, files: Record<string, string>): void {
      for (const [file, content] of Object.entries(files)) {
        mkdirSync(join(scratch, name, file, '..'), { recursive: true });
        writeFileSync(join(scratch, name, file), content);
      }
    }

    it('names every kind of problem', () => {
      folder('good', { 'adapter.ts': '', 'adapter.test.ts': 'adapterConformance({})', 'stream.ts': '', 'fixtures/text.sse': '' });
      folder('untested', { 'adapter.ts': '', 'utils.ts': '', 'fixtures/notes.md': '' });
      folder('no-suite', { 'adapter.ts': '', 'adapter.test.ts': 'it()', 'helpers/x.ts': '' });
      writeFileSync(join(scratch, 'registry.ts'), ''); // plain files beside the folders are not providers
      expect(structureProblems(scratch, ['good', 'no-suite', 'ghost']).sort()).toEqual([
        'no-suite/adapter.test.ts does not run adapterConformance',
        'no-suite/helpers is not one of adapter.ts, request.ts, response.ts, stream.ts, errors.ts, adapter.test.ts or a fixtures/ folder',
        'provider type ghost is registered but has no folder',
        'untested/ has no adapter.test.ts',
        'untested/ is not registered in registry.ts ADAPTER_FACTORIES',
        'untested/fixtures/notes.md is not <case>.json, <case>.sse or <case>.chunks.txt',
        'untested/utils.ts is not one of adapter.ts, request.ts, response.ts, stream.ts, errors.ts, adapter.test.ts or a fixtures/ folder',
      ]);
    });
  });
});
