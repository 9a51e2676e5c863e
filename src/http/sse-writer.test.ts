/**
 * The SSE writer's socket writes, on a real loopback connection: frames written in one tick leave
 * in one socket write; the first frame leaves at once (before the tick ends) only with
 * `firstAtOnce`. What a client sees (the bytes, in order) is the same either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { SseWriter, dataFrame } from './sse-writer.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves one request with `handle`; returns the body the client received. */
async function serveOnce(handle: (response: ServerResponse) => void): Promise<string> {
  server = createServer((_request, response) => handle(response));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** Serves one request with `handle`; returns the HTTP chunks of the body as a raw client read them (the chunked framing itself). */
async function chunksOf(handle: (response: ServerResponse) => void): Promise<string[]> {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = createServer((_request, response) => handle(response));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const raw = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (text += data));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const chunks: string[] = [];
  let rest = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (size === 0) return chunks;
    chunks.push(rest.slice(line + 2, line + 2 + size));
    rest = rest.slice(line + 2 + size + 2);
  }
}

/** The tail after the charge's commit, which comes in a later turn of the loop: `[DONE]`, then the end. */
function tailAfterCommit(writer: SseWriter): void {
  setTimeout(() => {
    writer.write(dataFrame('[DONE]'));
    writer.end();
  }, 5);
}

/** Two frames in one tick before any has left, then holdForTail(now); with `seen`, notes what the socket holds and whether it is corked right after. */
function twoFramesHeld(now: boolean, seen?: number[]) {
  return (response: ServerResponse): void => {
    const writer = new SseWriter(response, false);
    writer.open({});
    writer.data({ n: 1 });
    writer.data({ n: 2 });
    writer.holdForTail(now);
    seen?.push(response.socket!.writableLength, response.socket!.writableCorked);
    tailAfterCommit(writer);
  };
}

/** Writes three frames in one tick; after the first and after the third, notes the bytes on the socket, or 0 while it is corked. */
function threeFrames(firstAtOnce: boolean, seen: { writesInTick: number[] }) {
  return (response: ServerResponse): void => {
    const socket = response.socket!;
    const writer = new SseWriter(response, firstAtOnce);
    writer.open({});
    writer.data({ n: 1 });
    seen.writesInTick.push(socket.writableCorked === 0 ? socket.bytesWritten : 0);
    writer.data({ n: 2 });
    writer.data({ n: 3 });
    seen.writesInTick.push(socket.writableCorked === 0 ? socket.bytesWritten : 0);
    process.nextTick(() => writer.end());
  };
}

describe('SseWriter', () => {
  it('with firstAtOnce, sends the first frame before its tick ends; the rest of the tick stays corked', async () => {
    const seen = { writesInTick: [] as number[] };
    const body = await serveOnce(threeFrames(true, seen));
    expect(seen.writesInTick[0]).toBeGreaterThan(0); // headers and the first frame are on the socket already
    expect(seen.writesInTick[1]).toBe(seen.writesInTick[0]); // frames 2 and 3 wait for the tick's end, together
    expect(body).toBe(dataFrame({ n: 1 }) + dataFrame({ n: 2 }) + dataFrame({ n: 3 }));
  });

  it('without it, the first frame waits for the tick with the others (one socket write), same bytes', async () => {
    const seen = { writesInTick: [] as number[] };
    const body = await serveOnce(threeFrames(false, seen));
    expect(seen.writesInTick).toEqual([0, 0]);
    expect(body).toBe(dataFrame({ n: 1 }) + dataFrame({ n: 2 }) + dataFrame({ n: 3 }));
  });

  it('flush() sends what is corked before the tick ends', async () => {
    const seen: number[] = [];
    const body = await serveOnce((response) => {
      const writer = new SseWriter(response, false);
      writer.open({});
      writer.data({ n: 1 });
      writer.data({ n: 2 });
      writer.flush();
      seen.push(response.socket!.writableLength, response.socket!.writableCorked);
      process.nextTick(() => writer.end());
    });
    expect(seen).toEqual([0, 0]); // nothing left buffered or corked in the socket
    expect(body).toBe(dataFrame({ n: 1 }) + dataFrame({ n: 2 }));
  });

  it('frames written in one tick arrive as one HTTP chunk, and the last ones ride on the terminating chunk', async () => {
    const chunks = await chunksOf((response) => {
      const writer = new SseWriter(response, false);
      writer.open({});
      writer.data({ n: 1 });
      writer.data({ n: 2 });
      writer.data({ n: 3 });
      setImmediate(() => {
        writer.data({ n: 4 });
        writer.end();
      });
    });
    expect(chunks).toEqual([dataFrame({ n: 1 }) + dataFrame({ n: 2 }) + dataFrame({ n: 3 }), dataFrame({ n: 4 })]);
  });

  it('holdForTail after a frame has left: the frames of the tick wait and leave with the tail in the terminating chunk', async () => {
    const chunks = await chunksOf((response) => {
      const writer = new SseWriter(response, true);
      writer.open({});
      writer.data({ n: 1 }); // leaves at once
      writer.data({ n: 2 });
      writer.data({ n: 3 });
      writer.holdForTail(true);
      tailAfterCommit(writer);
    });
    expect(chunks).toEqual([dataFrame({ n: 1 }), dataFrame({ n: 2 }) + dataFrame({ n: 3 }) + dataFrame('[DONE]')]);
  });

  it('holdForTail before any frame has left: the frames go before the tail (the first byte never waits), at once with `now`', async () => {
    const seen: number[] = [];
    const atOnce = await chunksOf(twoFramesHeld(true, seen));
    expect(seen).toEqual([0, 0]); // on the socket before the tick ends
    expect(atOnce).toEqual([dataFrame({ n: 1 }) + dataFrame({ n: 2 }), dataFrame('[DONE]')]);
    const atTickEnd = await chunksOf(twoFramesHeld(false));
    expect(atTickEnd).toEqual([dataFrame({ n: 1 }) + dataFrame({ n: 2 }), dataFrame('[DONE]')]);
  });
});
