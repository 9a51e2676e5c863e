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
 * 3. Bundles the command line (dist/cli/index.js and everything it imports) into dist/app/: one
 *    entry file and one chunk per lazily imported part, packages left outside. Node resolves, reads
 *    and compiles an ES module file by file (~1 ms each on a small machine); `agora serve` loaded
 *    ~155 of them. bin/agora.js runs dist/app/agora.js when it exists, else dist/cli/index.js. The
 *    same code (tsc's output) in fewer files; the lazy imports stay lazy (their own chunks).
 *
 * Usage: node scripts/fast-start.mjs [--help]
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';
import { build } from 'vite';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'fast-start: bundles the packages re-exported by dist/store/kysely.js and dist/config/zod.js into those files, caches the validated bundled catalog in dist/config/bundled-catalog.json, and bundles the command line into dist/app/ (bin/agora.js runs it).\n',
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

// 3. The command line in a few files (dist/app/), packages outside (as installed: native addons,
// optional ones, and what the lazy imports load only when used).
const packages = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const external = [...Object.keys(packages.dependencies ?? {}), ...Object.keys(packages.optionalDependencies ?? {}), 'node-llama-cpp'];
// The vendor files of step 1 are read from their packages here instead, whose module-by-module
// form (and `sideEffects` flags) lets the bundler leave out what the gateway never uses.
const vendor = { [join(ROOT, 'dist/store/kysely.js')]: 'kysely', [join(ROOT, 'dist/config/zod.js')]: 'zod' };
const outside = (id) => id.startsWith('node:') || external.some((name) => id === name || id.startsWith(`${name}/`));
const app = await rolldown({
  input: join(ROOT, 'dist/cli/index.js'),
  platform: 'node',
  logLevel: 'warn',
  external: (id) => outside(id) && !Object.values(vendor).includes(id),
  plugins: [
    {
      name: 'agora-vendor-packages',
      resolveId(source, importer) {
        if (!importer || !source.startsWith('.')) return null;
        const target = vendor[join(dirname(importer), source)];
        return target ? this.resolve(target, importer, { skipSelf: true }) : null;
      },
    },
  ],
});
// Stable names (no content hash) written over the last build's: a gateway running while the
// project is rebuilt still finds the chunks it imports lazily. Files of an older build's other
// chunks are removed after.
const written = await app.write({
  dir: join(ROOT, 'dist/app'),
  format: 'esm',
  entryFileNames: 'agora.js',
  chunkFileNames: '[name].js',
  banner: '// Bundled by scripts/fast-start.mjs',
});
await app.close();
const current = new Set(written.output.map((file) => file.fileName));
for (const name of readdirSync(join(ROOT, 'dist/app'))) if (!current.has(name)) rmSync(join(ROOT, 'dist/app', name));
