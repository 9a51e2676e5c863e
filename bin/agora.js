#!/usr/bin/env node
// The `agora` command. The TypeScript sources compile to dist/ (npm install / npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('agora: dist/ is missing; run `npm run build` (or `npm install`) in the project folder first.');
  process.exit(1);
}
await import(entry.href);
