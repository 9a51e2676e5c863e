/** Number formats the Models pages share. */
import type { ModelListItem } from '../api.js';
import { perMillion } from '../ui.js';

/** 671e9 → "671B", 7.6e9 → "7.6B", 350e6 → "350M". */
export function paramCount(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value >= 1e9) return `${Number((value / 1e9).toFixed(value >= 1e10 ? 0 : 1))}B`;
  return `${Number((value / 1e6).toFixed(0))}M`;
}

export function params(parameters: ModelListItem['parameters']): string {
  if (!parameters || parameters.total === null) return '–';
  return parameters.active !== null && parameters.active !== parameters.total
    ? `${paramCount(parameters.total)} (${paramCount(parameters.active)} active)`
    : paramCount(parameters.total);
}

/** 163840 → "164K", 1048576 → "1.05M". */
export function tokens(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value >= 1e6) return `${Number((value / 1e6).toFixed(2))}M`;
  if (value >= 1e3) return `${Math.round(value / 1e3)}K`;
  return String(value);
}

/** OpenRouter's per-token price string; "-1" (not fixed) shows as a dash. */
export const price = (value: string | undefined): string => (value === undefined || Number(value) < 0 ? '–' : perMillion(value));
