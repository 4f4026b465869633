/**
 * Tells a body that is already complete (made from a string or bytes, or a
 * stream whose end is already queued) from a live stream, without waiting on
 * the stream. A sender can give a complete body a content-length and send it
 * with its headers in one write; a live stream is passed on unchanged in effect.
 *
 * @module
 */

/** A body, settled: all its bytes, or a stream of it to send as it comes. */
export type SettledBody = { bytes: Uint8Array } | { stream: ReadableStream<Uint8Array> };

const NOT_YET = Symbol("not yet");

/** Resolves after a few microtask turns (never a macrotask: no I/O is awaited). */
async function soon(): Promise<typeof NOT_YET> {
  // Deno's string and byte bodies answer a read one turn later.
  for (let turn = 0; turn < 3; turn++) await null;
  return NOT_YET;
}

/**
 * Reads what `body` has queued, up to `maxBytes`; returns the bytes when its
 * end is queued too, else a stream with what was read put back in front.
 */
export async function settleBody(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<SettledBody> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader.read();
    const result = await Promise.race([next, soon()]);
    if (result === NOT_YET || (!result.done && size + result.value.byteLength > maxBytes)) {
      return {
        stream: resume(chunks, result === NOT_YET ? next : Promise.resolve(result), reader),
      };
    }
    if (result.done) return { bytes: join(chunks, size) };
    chunks.push(result.value);
    size += result.value.byteLength;
  }
}

function join(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The chunks already read, then the pending read, then the rest of the reader. */
function resume(
  chunks: Uint8Array[],
  pending: Promise<ReadableStreamReadResult<Uint8Array>>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = pending;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
    },
    async pull(controller) {
      const result = await (next ?? reader.read());
      next = null;
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
