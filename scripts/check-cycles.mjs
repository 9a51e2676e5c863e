#!/usr/bin/env node
/**
 * Import cycles, checked in CI: between folders of src/ (the layers: `api` → `routing` → `providers` …
 * must never import back up) and between files. Reads the static imports of every .ts file under
 * src/ (type-only imports included: a type cycle is still a design cycle), resolves relative
 * specifiers, and prints each cycle found. Exit 1 when there is one.
 *
 * Usage: node scripts/check-cycles.mjs [--help] [--root src]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  process.stdout.write(
    'check-cycles [--root DIR]: fails (exit 1) on an import cycle between the folders of DIR (default src) or between its files.\n',
  );
  process.exit(0);
}
const at = args.indexOf('--root');
const root = resolve(at === -1 ? 'src' : (args[at + 1] ?? 'src'));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/g;
const all = files(root);
const known = new Set(all);
const edges = new Map();
for (const file of all) {
  const text = readFileSync(file, 'utf8');
  const targets = new Set();
  for (const match of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), match[1].replace(/\.js$/, '.ts'));
    if (known.has(target)) targets.add(target);
  }
  edges.set(file, targets);
}

/** The folder a file belongs to: its first path segment below root (files at the root are the composition root). */
const folderOf = (file) => {
  const parts = relative(root, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0];
};

function cycles(graph) {
  // Tarjan's strongly connected components; any component with more than one node (or a self-loop) is a cycle.
  let index = 0;
  const stack = [];
  const state = new Map();
  const found = [];
  const visit = (node) => {
    state.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!state.has(next)) {
        visit(next);
        state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
      } else if (state.get(next).onStack) {
        state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
      }
    }
    if (state.get(node).low === state.get(node).index) {
      const component = [];
      let item;
      do {
        item = stack.pop();
        state.get(item).onStack = false;
        component.push(item);
      } while (item !== node);
      if (component.length > 1) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

const folders = new Map();
const witness = new Map();
for (const [file, targets] of edges) {
  const from = folderOf(file);
  if (!folders.has(from)) folders.set(from, new Set());
  for (const target of targets) {
    const to = folderOf(target);
    if (to === from || to === '(root)' || from === '(root)') continue;
    folders.get(from).add(to);
    if (!witness.has(`${from}>${to}`)) witness.set(`${from}>${to}`, `${relative(root, file)} → ${relative(root, target)}`);
  }
}
let failed = false;
for (const component of cycles(folders)) {
  failed = true;
  const members = new Set(component);
  process.stdout.write(`folder cycle: ${component.sort().join(' ↔ ')}\n`);
  for (const from of component)
    for (const to of folders.get(from)) if (members.has(to)) process.stdout.write(`  ${from} → ${to}: ${witness.get(`${from}>${to}`)}\n`);
}
for (const component of cycles(edges)) {
  failed = true;
  process.stdout.write(
    `file cycle: ${component
      .map((file) => relative(root, file))
      .sort()
      .join(' ↔ ')}\n`,
  );
}
process.stdout.write(failed ? 'import cycles found\n' : `no import cycles (${all.length} files, ${folders.size} folders)\n`);
process.exit(failed ? 1 : 0);
