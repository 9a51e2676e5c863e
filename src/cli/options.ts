/** Options shared by several commands, each with its environment variable. */
import { InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { MAX_POSTING_USD } from '../lib/money.js';
import type { ResolvedConfig } from '../config/types.js';
import { DEFAULT_DATABASE_URL } from '../store/index.js';

export function databaseUrl(flag: string | undefined): string {
  return flag ?? process.env.AGORA_DB ?? DEFAULT_DATABASE_URL;
}

/** Loads the config (with a synced catalog, when given) or exits 2 with a message naming file, field and expectation. */
export function loadConfigOrExit(file: string | undefined, synced?: unknown): ResolvedConfig {
  try {
    return loadConfig({ file: file ?? (process.env.AGORA_CONFIG || undefined), ...(synced !== undefined ? { synced } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agora: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

export function parseNumberOption(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`${name} expects a number of 0 or more, got "${value}"`);
    return parsed;
  };
}

/** A USD option (`--credit`, `--limit`): a number of 0 or more, at most MAX_POSTING_USD. */
export function parseUsdOption(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > MAX_POSTING_USD) {
      throw new InvalidArgumentError(`${name} expects an amount of USD from 0 to ${MAX_POSTING_USD}, got "${value}"`);
    }
    return parsed;
  };
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
