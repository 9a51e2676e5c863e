/**
 * The process metrics' event-loop delay: Node's monitorEventLoopDelay records the time between two
 * ticks of its sampling timer, interval included, so an idle loop would read 20 ms; the metric is the
 * delay beyond the interval.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.js';
import { Telemetry } from './telemetry.js';

function lag(text: string, quantile: string): number {
  const match = new RegExp(`^nodejs_eventloop_lag_seconds\\{quantile="${quantile}"\\} (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no nodejs_eventloop_lag_seconds{quantile="${quantile}"} in:\n${text}`);
  return Number(match[1]);
}

/** Lets the delay sampler tick `ticks` times (its timer fires every 20 ms). */
async function samplerTicks(ticks: number): Promise<void> {
  for (let tick = 0; tick < ticks; tick++) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('nodejs_eventloop_lag_seconds', () => {
  it('is the delay beyond the sampling interval: an idle loop reads near 0, a loop blocked for 80 ms reads tens of ms', async () => {
    const telemetry = new Telemetry(
      {
        metricsEnabled: true,
        metricsRequireKey: false,
        otlpTracesUrl: undefined,
        otlpProtocol: 'http/protobuf',
        otlpHeaders: {},
        traceSampleRatio: 1,
        serviceName: 'test',
      },
      createLogger('error', () => undefined),
    );
    try {
      await samplerTicks(6);
      const idle = telemetry.render();
      // Node's own reading of an idle loop is ≥ 20 ms at every quantile (the interval itself).
      expect(lag(idle, '0.5')).toBeLessThan(0.01);
      expect(lag(idle, '0.5')).toBeGreaterThanOrEqual(0);

      await samplerTicks(1); // a tick after the scrape's reset, for the block to be measured from
      const blockedUntil = performance.now() + 80;
      while (performance.now() < blockedUntil); // the loop blocked, as by a long synchronous task
      await samplerTicks(2);
      const blocked = telemetry.render();
      expect(lag(blocked, '1')).toBeGreaterThanOrEqual(0.04);
      expect(lag(blocked, '1')).toBeLessThan(10); // seconds, not nanoseconds or milliseconds
    } finally {
      await telemetry.close();
    }
  });
});
