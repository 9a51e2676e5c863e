#!/usr/bin/env node
/**
 * Run by `npm run build` after tsc: what makes `agora serve` start fast, done once at build time.
 *
 * 1. Replaces each vendor module of dist/ (a file that only re-exports a package,
 *    `export * from 'kysely'`) with that package bundled into the one file. Node loads an ES module
 *    package file by file — Kysely is ~260 modules, zod ~95 — and that took about 150 ms of every
 *    start; one file loads in a fraction of it. The same exports and code; without this step (tsc
 *    alone) the re-export still works.
 * 2. Writes dist/config/bundled-catalog.json, the bundled catalog as the schema validates it, so a
 *    start on the bundled catalog does not validate it again (src/config/bundled-cache.ts; used
 *    only while the catalog and the schema are the ones it was made from).
 *
 * Usage: node scripts/fast-start.mjs [--help]
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'fast-start: bundles the packages re-exported by dist/store/kysely.js and dist/config/zod.js into those files, and caches the validated bundled catalog in dist/config/bundled-catalog.json.\n',
  );
  process.exit(0);
}
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VENDOR = ['dist/store/kysely.js', 'dist/config/zod.js'];

for (const file of VENDOR) {
  const path = join(ROOT, file);
  const source = readFileSync(path, 'utf8');
  if (!/^export \* from '[^']+';$/m.test(source)) {
    if (source.includes('Bundled by scripts/fast-start.mjs')) continue; // already bundled (tsc left it alone)
    throw new Error(`${file} is not a vendor re-export (export * from '<package>')`);
  }
  const out = join(ROOT, 'dist/.vendor-build');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: ROOT,
    build: {
      ssr: path,
      outDir: out,
      emptyOutDir: true,
      minify: false,
      sourcemap: false,
      rollupOptions: { output: { format: 'esm', entryFileNames: 'bundle.js', banner: '// Bundled by scripts/fast-start.mjs' } },
    },
    ssr: { noExternal: true, target: 'node' },
  });
  renameSync(join(out, 'bundle.js'), path);
  rmSync(out, { recursive: true, force: true });
  rmSync(`${path}.map`, { force: true });
}

// After the bundling, so the cache is made by the very zod the gateway runs.
const dist = (path) => pathToFileURL(join(ROOT, 'dist', path)).href;
const { catalogDocumentSchema } = await import(dist('config/schema.js'));
const { BUNDLED_CATALOG } = await import(dist('config/defaults.js'));
const { bundledCacheText } = await import(dist('config/bundled-cache.js'));
writeFileSync(join(ROOT, 'dist/config/bundled-catalog.json'), bundledCacheText(catalogDocumentSchema.parse(BUNDLED_CATALOG)));
