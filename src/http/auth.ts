/**
 * Authentication: `Authorization: Bearer KEY` (and `x-api-key: KEY` where a route allows it, as
 * Anthropic's clients send). The key is hashed and looked up in the in-memory KeyDirectory; it is
 * never logged or echoed.
 *
 * @example
 * const key = await authenticate(request.headers, directory);  // throws 401 AgoraError
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hashApiKey } from '../lib/api-key.js';
import type { KeyDirectory, KeyRecord } from '../catalog/key-directory.js';
import { AgoraError, forbidden, unauthorized } from '../contract/errors.js';

export function presentedKey(headers: IncomingHttpHeaders, allowXApiKey: boolean): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthorized('Malformed Authorization header: expected "Bearer KEY".');
    return match[1];
  }
  if (allowXApiKey) {
    const key = headers['x-api-key'];
    if (typeof key === 'string' && key !== '') return key.trim();
  }
  return undefined;
}

function check(record: KeyRecord | undefined): KeyRecord {
  if (!record) throw unauthorized('Invalid API key.');
  if (record.disabled) throw unauthorized('This API key is disabled.');
  return record;
}

/** Resolves the calling key or throws 401. Synchronous for known keys (the common case). */
export function authenticate(headers: IncomingHttpHeaders, directory: KeyDirectory, allowXApiKey = false): KeyRecord | Promise<KeyRecord> {
  const key = presentedKey(headers, allowXApiKey);
  if (key === undefined) {
    throw unauthorized('Missing API key: send it as "Authorization: Bearer KEY".');
  }
  if (key.length > 256) throw unauthorized('Invalid API key.');
  const found = directory.find(hashApiKey(key));
  if (found instanceof Promise) {
    return found.then(check, (error: unknown) => {
      throw new AgoraError('The key store is unavailable; try again shortly.', {
        status: 503,
        kind: 'provider_overloaded',
        type: 'server_error',
        code: 'key_store_unavailable',
        cause: error,
      });
    });
  }
  return check(found);
}

export function requireAdmin(key: KeyRecord): void {
  if (!key.isAdmin) throw forbidden('This route needs an admin key (AGORA_MASTER_KEY or a key created with admin rights).');
}
