/**
 * Moves message bodies between web streams and HTTP/3 DATA frames: the
 * writer frames each chunk, the reader turns a stream's message events into a
 * body stream that pulls from QUIC only as fast as it is read.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import { encodeFrame, encodeFrameHeader, FrameType } from "./frames.ts";
import type { MessageEvent, MessageReader } from "./message_reader.ts";
import type { FieldLine } from "./qpack.ts";
import type { QuicStreamLike } from "../quic/mod.ts";

/**
 * Writes one chunk as a DATA frame (and the FIN with it when `fin`); large
 * chunks are not copied: header and chunk are two writes.
 */
export async function writeData(
  stream: QuicStreamLike,
  chunk: Uint8Array,
  fin = false,
): Promise<void> {
  if (chunk.byteLength === 0) {
    if (fin) await stream.write(chunk, true);
    return;
  }
  if (chunk.byteLength < 1024) {
    await stream.write(encodeFrame(FrameType.DATA, chunk), fin);
  } else {
    await stream.write(encodeFrameHeader(FrameType.DATA, chunk.byteLength));
    await stream.write(chunk, fin);
  }
}

/** Writes a body as DATA frames, chunk by chunk as the body produces them. */
export async function writeBody(
  stream: QuicStreamLike,
  body: ReadableStream<Uint8Array>,
): Promise<void> {
  const reader = body.getReader(); // cheaper than `for await`, which builds an iterator per body
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      await writeData(stream, value);
    }
  } catch (error) {
    // The peer stopped reading, or the connection ended: stop the producer too.
    await reader.cancel(error).catch(() => {});
    throw error;
  }
}

/** What a body source needs: the message's remaining events, pulled from its stream. */
export interface EventSource {
  /** The next events, or null when the stream has ended (after its "end" event). */
  next(): Promise<MessageEvent[] | null>;
  /** Stops reading (STOP_SENDING) with `code`. */
  cancel(code: number): void;
}

/** Makes an `EventSource` from a QUIC stream and its message parser. */
export function eventSource(stream: QuicStreamLike, parser: MessageReader): EventSource {
  let ended = false;
  return {
    async next() {
      if (ended) return null;
      const chunk = await stream.read();
      if (chunk === null) {
        ended = true;
        return parser.finish();
      }
      return parser.push(chunk);
    },
    cancel(code) {
      ended = true;
      stream.stopSending(code);
    },
  };
}

/**
 * Reads events until `accept` makes a message head out of a header section
 * (it returns null for an interim 1xx response, to keep reading); the events
 * after the head are returned as `pending`, for the body.
 */
export async function readHead<T>(
  source: EventSource,
  accept: (lines: FieldLine[]) => T | null,
  missing: () => H3Error,
): Promise<{ head: T; pending: MessageEvent[] }> {
  let head: T | null = null;
  const pending: MessageEvent[] = [];
  while (head === null) {
    const events = await source.next();
    if (events === null) throw missing();
    for (const event of events) {
      if (head !== null) pending.push(event);
      else if (event.kind === "headers") head = accept(event.lines);
    }
  }
  return { head, pending };
}

/** Limits and checks a body reader applies. */
export interface BodyOptions {
  /** The declared content-length, checked at the end (RFC 9114 §4.1.2). */
  contentLength: number | null;
  /** Largest body accepted; past it the stream errors with H3_EXCESSIVE_LOAD. */
  maxSize: number;
  /** Receives the trailer section, if one arrives. */
  onTrailers?: (lines: FieldLine[]) => void;
  /** Told of an error that ended the body, so the connection can act on it. */
  onError?: (error: unknown) => void;
  /** Called once when the body is over: read to its end, failed, or cancelled. */
  onEnd?: () => void;
}

/** The body as a byte stream, pulling DATA from `source` as it is read. */
export function bodyStream(
  source: EventSource,
  pending: MessageEvent[],
  options: BodyOptions,
): ReadableStream<Uint8Array> {
  let received = 0;
  let ended = false;
  const end = () => {
    if (!ended) options.onEnd?.();
    ended = true;
  };
  const queue = [...pending];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const event = queue.shift();
          if (!event) {
            const more = await source.next();
            if (more === null) {
              end();
              return controller.close();
            }
            queue.push(...more);
            continue;
          }
          if (event.kind === "data") {
            received += event.chunk.byteLength;
            if (received > options.maxSize) {
              source.cancel(H3ErrorCode.H3_EXCESSIVE_LOAD);
              throw new H3Error(
                H3ErrorCode.H3_EXCESSIVE_LOAD,
                "stream",
                `body exceeds ${options.maxSize} bytes`,
              );
            }
            if (options.contentLength !== null && received > options.contentLength) {
              throw new H3Error(
                H3ErrorCode.H3_MESSAGE_ERROR,
                "stream",
                "body longer than its content-length",
              );
            }
            controller.enqueue(event.chunk);
            return;
          }
          if (event.kind === "trailers") {
            options.onTrailers?.(event.lines);
            continue;
          }
          if (event.kind === "end") {
            if (options.contentLength !== null && received !== options.contentLength) {
              throw new H3Error(
                H3ErrorCode.H3_MESSAGE_ERROR,
                "stream",
                `body of ${received} bytes, content-length ${options.contentLength}`,
              );
            }
            end();
            return controller.close();
          }
        }
      } catch (error) {
        options.onError?.(error);
        end();
        controller.error(error);
      }
    },
    cancel() {
      end();
      // The reader lost interest: tell the peer to stop sending (RFC 9114 §4.1.1).
      source.cancel(H3ErrorCode.H3_NO_ERROR);
    },
  }, { highWaterMark: 0 });
}
