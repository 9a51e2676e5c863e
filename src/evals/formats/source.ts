/**
 * Reading a suite's file: a local path or an http(s) URL, gunzipped when the name ends in `.gz`.
 * Shared by the loaders in this folder.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** The source's name without query or fragment (for URLs), used to decide on gzip and to name things. */
export function sourceName(source: string): string {
  if (isUrl(source)) {
    const path = new URL(source).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  }
  return basename(source);
}

/** The bytes of a path or URL, decompressed when its name ends in `.gz`. */
export async function readSourceBytes(source: string): Promise<Buffer> {
  let bytes: Buffer;
  if (isUrl(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`GET ${source}: HTTP ${response.status} ${response.statusText}`);
    bytes = Buffer.from(await response.arrayBuffer());
  } else {
    bytes = await readFile(source);
  }
  return sourceName(source).toLowerCase().endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** The UTF-8 text of a path or URL (gunzipped for `.gz`), without a byte-order mark. */
export async function readSourceText(source: string): Promise<string> {
  const text = (await readSourceBytes(source)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** True when the source is a local directory. */
export async function isDirectory(source: string): Promise<boolean> {
  if (isUrl(source)) return false;
  try {
    return (await stat(source)).isDirectory();
  } catch {
    return false;
  }
}

/** The files in a local directory whose names match `pattern`, sorted by name, as full paths. */
export async function listFiles(directory: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => join(directory, name));
}

/**
 * Parses JSON Lines: one JSON value per non-blank line. A malformed line throws naming the source
 * and the line number.
 */
export function parseJsonLines(text: string, source: string): unknown[] {
  const rows: unknown[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (!line) continue;
    try {
      rows.push(JSON.parse(line));
    } catch (error) {
      throw new Error(`${source}: line ${index + 1} is not valid JSON (${(error as Error).message})`);
    }
  }
  return rows;
}

/** Reads a JSON Lines path or URL and checks each row is an object with the given string fields. */
export async function readJsonLinesRows(source: string, requiredStrings: string[]): Promise<Record<string, unknown>[]> {
  const rows = parseJsonLines(await readSourceText(source), source);
  return rows.map((row, index) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new Error(`${source}: row ${index + 1} is not a JSON object`);
    }
    const record = row as Record<string, unknown>;
    for (const field of requiredStrings) {
      if (typeof record[field] !== 'string') throw new Error(`${source}: row ${index + 1} has no string field "${field}"`);
    }
    return record;
  });
}

/** Fills `{name}` placeholders of a template. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? values[name]! : whole));
}
