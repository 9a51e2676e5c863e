#!/usr/bin/env node
// The `agora` command. The TypeScript sources compile to dist/ (npm install / npm run build); the
// build also bundles the command line into a few files (dist/app/, scripts/fast-start.mjs), which
// start faster than dist/cli/ file by file. AGORA_UNBUNDLED=1 runs dist/cli/ anyway.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundled = new URL('../dist/app/agora.js', import.meta.url);
const entry =
  process.env.AGORA_UNBUNDLED !== '1' && existsSync(fileURLToPath(bundled)) ? bundled : new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('agora: dist/ is missing; run `npm run build` (or `npm install`) in the project folder first.');
  process.exit(1);
}
await import(entry.href);
