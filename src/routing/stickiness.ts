/**
 * Prompt-cache stickiness: consecutive requests of one conversation (same key, same model, same
 * opening — system messages and the first user message) go back to the endpoint that served the
 * last one, where the provider still holds the cached prefix. A bounded map with a TTL.
 */
import { createHash } from 'node:crypto';

const MAX_ENTRIES = 50_000;

export class StickyRoutes {
  private readonly routes = new Map<string, { endpoint: string; expires: number }>();

  constructor(private readonly ttlMs: number) {}

  get(conversation: string, now: number): string | undefined {
    const route = this.routes.get(conversation);
    if (!route) return undefined;
    if (route.expires < now) {
      this.routes.delete(conversation);
      return undefined;
    }
    return route.endpoint;
  }

  set(conversation: string, endpoint: string, now: number): void {
    this.routes.delete(conversation);
    if (this.routes.size >= MAX_ENTRIES) this.routes.delete(this.routes.keys().next().value!);
    this.routes.set(conversation, { endpoint, expires: now + this.ttlMs });
  }
}

/** A conversation's identity: key, model and its opening messages (what a prompt cache keys on). */
export function conversationKey(keyId: string, modelId: string, messages: unknown): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const hash = createHash('sha1').update(keyId).update('\0').update(modelId);
  for (const message of messages as Array<{ role?: unknown; content?: unknown }>) {
    hash.update('\0').update(String(message.role)).update('\0');
    hash.update(typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? null));
    if (message.role === 'user') break;
  }
  return hash.digest('base64url');
}
