/**
 * A minimal cancellation signal for the request path. `AbortController`/`AbortSignal` are
 * EventTargets and cost several microseconds per request to create and listen to; this is a flag
 * and at most a few callbacks. Adapters and the fallback loop only need `aborted` and `onCancel`.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** Registers `listener` (called once, on cancel); returns a function that removes it. */
  onCancel(listener: () => void): () => void;
}

export class CancelSource implements CancelSignal {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  onCancel(listener: () => void): () => void {
    if (this.aborted) {
      listener();
      return noop;
    }
    (this.listeners ??= []).push(listener);
    return () => {
      const index = this.listeners?.indexOf(listener) ?? -1;
      if (index !== -1) this.listeners!.splice(index, 1);
    };
  }

  cancel(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}

function noop(): void {}

/** A signal that is never cancelled (benchmarks, internal calls). */
export const NEVER_CANCELLED: CancelSignal = { aborted: false, onCancel: () => noop };
