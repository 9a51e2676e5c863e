/**
 * A small structured logger: one JSON line per event on stderr. It never receives request bodies
 * or keys; `redact()` is applied to every string field anyway, as a second line of defence.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET = /\b(sk-[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+/g;

export function redact(text: string): string {
  return text.replace(SECRET, '$1***');
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written (so a caller can skip building it). */
  enabled?(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = ORDER[level];
  const emit = (at: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[at] < threshold) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: at, message: redact(message) };
    for (const [name, value] of Object.entries(fields ?? {})) entry[name] = typeof value === 'string' ? redact(value) : value;
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    enabled: (level) => ORDER[level] >= threshold,
  };
}

/**
 * A logger that masks every secret of the configuration in the message and in every field (the
 * configuration's `Secrets.redact`), before the line is written.
 */
export function withRedaction(logger: Logger, redactText: (text: string) => string): Logger {
  const clean = (fields?: Record<string, unknown>): Record<string, unknown> | undefined => {
    if (!fields) return fields;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'string') out[name] = redactText(value);
      else if (value !== null && typeof value === 'object') {
        try {
          out[name] = JSON.parse(redactText(JSON.stringify(value))) as unknown;
        } catch {
          out[name] = '[unserialisable]';
        }
      } else out[name] = value;
    }
    return out;
  };
  return {
    debug: (message, fields) => logger.debug(redactText(message), clean(fields)),
    info: (message, fields) => logger.info(redactText(message), clean(fields)),
    warn: (message, fields) => logger.warn(redactText(message), clean(fields)),
    error: (message, fields) => logger.error(redactText(message), clean(fields)),
    enabled: (level) => logger.enabled?.(level) ?? true,
  };
}
