/** Every provider folder has the fixed file set (architecture.md, convention 1) and is registered. */
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTER_FACTORIES } from './registry.js';

const ALLOWED = new Set(['adapter.ts', 'request.ts', 'response.ts', 'stream.ts', 'errors.ts', 'adapter.test.ts', 'fixtures']);
const folders = readdirSync(import.meta.dirname).filter((name) => statSync(join(import.meta.dirname, name)).isDirectory());

describe('provider folders', () => {
  it('exist', () => expect(folders.length).toBeGreaterThan(0));
  it.each(folders)('%s has adapter.ts and adapter.test.ts, only the allowed files, and is registered', (folder) => {
    const files = readdirSync(join(import.meta.dirname, folder));
    expect(files).toContain('adapter.ts');
    expect(files).toContain('adapter.test.ts');
    expect(files.filter((file) => !ALLOWED.has(file))).toEqual([]);
    expect(Object.keys(ADAPTER_FACTORIES)).toContain(folder);
  });
  it('registers no type without a folder', () => {
    for (const type of Object.keys(ADAPTER_FACTORIES)) expect(folders).toContain(type);
  });
});
