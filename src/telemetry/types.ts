/** The shapes telemetry.ts and the lazily loaded exporter (otlp.ts) share. */
import type { AgoraError } from '../contract/errors.js';
import type { BatchWriter } from '../metering/sink.js';
import type { GenerationStatus, GenerationTrace } from '../metering/trace.js';
import type { HealthRegistry } from '../routing/health.js';

/** What the scrape reads from the gateway (attached once it is built). */
export interface TelemetrySources {
  health: HealthRegistry;
  /** Batched writers by name: `ledger` (group commits), `records`, `audit`, `responses`. */
  writers: Record<string, Pick<BatchWriter<never>, 'pending' | 'observer'>>;
  inFlight(): number;
  /** A provider's base URL (for spans' `server.address`). */
  providerUrl(id: string): string | undefined;
}

export interface SpanExporter {
  add(
    trace: GenerationTrace,
    status: GenerationStatus,
    httpStatus: number,
    error: AgoraError | undefined,
    sources?: TelemetrySources,
  ): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}
