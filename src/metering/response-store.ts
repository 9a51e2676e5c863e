/**
 * Stored Responses (OpenAI's Responses API, `store: true`): kept per owner (an account, or a key
 * without one), written in batches after the answer like generation records, and read back for
 * `GET /v1/responses/{id}` and `previous_response_id`. The latest ones stay in memory, so a
 * conversation continued on this process costs no database read before its first byte; a response
 * from before a restart (or another instance) costs one indexed read.
 */
import type { NewStoredResponse, StoredResponseRow } from '../store/repos/responses.js';
import type { BatchWriter } from './sink.js';

export interface StoredResponse {
  id: string;
  owner: string;
  model: string;
  previousResponseId: string | null;
  /** The conversation up to this response, as Responses input items (previous ones, then this request's input). */
  inputItems: unknown[];
  /** The Response object as answered. */
  response: Record<string, unknown>;
  createdAt: number;
}

/** What the store reads and deletes in the database. */
export interface StoredResponseSource {
  findOwned(id: string, owner: string): Promise<StoredResponseRow | undefined>;
  deleteOwned(id: string, owner: string): Promise<boolean>;
}

export class ResponseStore {
  /** Latest responses, oldest first (Map keeps insertion order). */
  private readonly recent = new Map<string, StoredResponse>();

  constructor(
    private readonly writer: BatchWriter<NewStoredResponse>,
    private readonly source: StoredResponseSource,
    private readonly capacity = 2_000,
  ) {}

  /** Keeps `stored` (in memory at once, in the database with the next batch). */
  save(stored: StoredResponse): void {
    this.recent.set(stored.id, stored);
    if (this.recent.size > this.capacity) this.recent.delete(this.recent.keys().next().value!);
    this.writer.enqueue({
      id: stored.id,
      owner: stored.owner,
      model: stored.model,
      previous_response_id: stored.previousResponseId,
      input_items: JSON.stringify(stored.inputItems),
      response: JSON.stringify(stored.response),
      created_at: stored.createdAt,
    });
  }

  /** `owner`'s response `id`; another owner's id is not found, exactly like an unknown one. */
  async find(id: string, owner: string): Promise<StoredResponse | undefined> {
    const cached = this.recent.get(id);
    if (cached) return cached.owner === owner ? cached : undefined;
    await this.writer.flush(); // one written a moment ago may still be in the batch
    const row = await this.source.findOwned(id, owner);
    if (!row) return undefined;
    return {
      id: row.id,
      owner: row.owner,
      model: row.model,
      previousResponseId: row.previous_response_id,
      inputItems: JSON.parse(row.input_items) as unknown[],
      response: JSON.parse(row.response) as Record<string, unknown>,
      createdAt: Number(row.created_at),
    };
  }

  /** Writes what is still queued (shutdown). */
  close(): Promise<void> {
    return this.writer.close();
  }

  /** Deletes `owner`'s response `id`; false when there was none to delete. */
  async delete(id: string, owner: string): Promise<boolean> {
    const cached = this.recent.get(id);
    if (cached && cached.owner !== owner) return false;
    this.recent.delete(id);
    await this.writer.flush();
    return (await this.source.deleteOwned(id, owner)) || cached !== undefined;
  }
}
