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
  /** The next events, or null when the stream has ended (after its "end" event) or was cancelled. */
  next(): Promise<MessageEvent[] | null>;
  /**
   * Like `next`, but the stream's bytes are read into `buffer` (no copy of
   * their own): DATA events are views on `buffer`, or, when a frame header
   * was split between reads, on a buffer of the parser's. Their bytes add up
   * to at most `buffer.byteLength`.
   */
  nextInto(buffer: Uint8Array): Promise<MessageEvent[] | null>;
  /** Stops reading (STOP_SENDING) with `code`; a pending `next` then gives null. */
  cancel(code: number): void;
}

/** Makes an `EventSource` from a QUIC stream and its message parser. */
export function eventSource(stream: QuicStreamLike, parser: MessageReader): EventSource {
  let ended = false;
  return {
    async next() {
      if (ended) return null;
      const chunk = await stream.read();
      if (ended) return null; // cancelled while reading: no "end", the message is not complete
      if (chunk === null) {
        ended = true;
        return parser.finish();
      }
      return parser.push(chunk);
    },
    async nextInto(buffer) {
      if (ended) return null;
      const length = await stream.readInto(buffer);
      if (ended) return null;
      if (length === null) {
        ended = true;
        return parser.finish();
      }
      return parser.push(buffer.subarray(0, length));
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

/**
 * Moves DATA chunks into `view` from its start, in order: views on `view`'s
 * own buffer (read into it) are moved down over the frame headers between
 * them, others are copied. Returns the bytes placed; `chunks` must fit.
 */
function gather(view: Uint8Array, chunks: Uint8Array[]): number {
  let filled = 0;
  for (const chunk of chunks) {
    if (chunk.buffer === view.buffer) {
      const from = chunk.byteOffset - view.byteOffset;
      if (from !== filled) view.copyWithin(filled, from, from + chunk.byteLength);
    } else {
      view.set(chunk, filled);
    }
    filled += chunk.byteLength;
  }
  return filled;
}

/**
 * Joins DATA chunks that share a buffer (one read's worth), moving each down
 * over the frame headers before it: a byte stream takes over the buffer of a
 * chunk it is given, so no two chunks handed on may share one.
 */
function joined(chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < chunks.length;) {
    const first = chunks[i];
    let j = i + 1;
    while (j < chunks.length && chunks[j].buffer === first.buffer) j++;
    if (j === i + 1) out.push(first);
    else {
      const whole = new Uint8Array(
        first.buffer,
        first.byteOffset,
        first.buffer.byteLength - first.byteOffset,
      );
      out.push(whole.subarray(0, gather(whole, chunks.slice(i, j))));
    }
    i = j;
  }
  return out;
}

/** Checks a body's events in order (size, content-length, trailers) and gives their DATA. */
class BodyCheck {
  /** Body bytes seen so far. */
  received = 0;
  /** The "end" event was seen and checked. */
  complete = false;
  #source: EventSource;
  #options: BodyOptions;

  constructor(source: EventSource, options: BodyOptions) {
    this.#source = source;
    this.#options = options;
  }

  /** Checks `events`; returns their non-empty DATA chunks. Throws `H3Error` on a broken rule. */
  take(events: MessageEvent[]): Uint8Array[] {
    const options = this.#options;
    const chunks: Uint8Array[] = [];
    for (const event of events) {
      if (event.kind === "data") {
        this.received += event.chunk.byteLength;
        if (this.received > options.maxSize) {
          this.#source.cancel(H3ErrorCode.H3_EXCESSIVE_LOAD);
          throw new H3Error(
            H3ErrorCode.H3_EXCESSIVE_LOAD,
            "stream",
            `body exceeds ${options.maxSize} bytes`,
          );
        }
        if (options.contentLength !== null && this.received > options.contentLength) {
          throw new H3Error(
            H3ErrorCode.H3_MESSAGE_ERROR,
            "stream",
            "body longer than its content-length",
          );
        }
        if (event.chunk.byteLength > 0) chunks.push(event.chunk);
      } else if (event.kind === "trailers") {
        options.onTrailers?.(event.lines);
      } else if (event.kind === "end") {
        if (options.contentLength !== null && this.received !== options.contentLength) {
          throw new H3Error(
            H3ErrorCode.H3_MESSAGE_ERROR,
            "stream",
            `body of ${this.received} bytes, content-length ${options.contentLength}`,
          );
        }
        this.complete = true;
      }
    }
    return chunks;
  }
}

/**
 * The whole body, read from `source` without a web stream: for a caller that
 * wants it all at once (a small response with a known length), it saves the
 * stream and its promise per chunk. Checks as `bodyStream` does; `onEnd` is
 * called once, `onError` with the error it rejects with.
 */
export async function readBody(
  source: EventSource,
  pending: MessageEvent[],
  options: BodyOptions,
): Promise<Uint8Array> {
  const check = new BodyCheck(source, options);
  const chunks: Uint8Array[] = [];
  try {
    let events: MessageEvent[] | null = pending;
    while (events !== null) {
      // DATA read with `next()` are views of fresh copies, ours to keep.
      for (const chunk of check.take(events)) chunks.push(chunk);
      if (check.complete) break;
      events = await source.next();
    }
  } catch (error) {
    options.onError?.(error);
    options.onEnd?.();
    throw error;
  }
  options.onEnd?.();
  if (chunks.length === 1) return chunks[0];
  const whole = new Uint8Array(check.received);
  let filled = 0;
  for (const chunk of chunks) {
    whole.set(chunk, filled);
    filled += chunk.byteLength;
  }
  return whole;
}

/**
 * The body as a byte stream (`type: "bytes"`), pulling DATA from `source` as
 * it is read. A reader that brings its own buffer (BYOB) has it filled
 * straight from QUIC: the DATA bytes land in it with no copy and no
 * allocation, so a long body makes no garbage. A default reader gets chunks
 * copied once out of QUIC, each its own, never written to again.
 */
export function bodyStream(
  source: EventSource,
  pending: MessageEvent[],
  options: BodyOptions,
): ReadableStream<Uint8Array> {
  let ended = false;
  /** The "end" event was seen and checked: once `queue` is empty, the body is over. */
  let complete = false;
  const end = () => {
    if (!ended) options.onEnd?.();
    ended = true;
  };
  /** DATA not yet handed on, never a view on a reader's buffer: chunks we own. */
  const queue: Uint8Array[] = [];
  let first: MessageEvent[] | null = pending;
  const check = new BodyCheck(source, options);
  /** Checks events in order; returns their DATA chunks. */
  const take = (events: MessageEvent[]): Uint8Array[] => {
    const chunks = check.take(events);
    if (check.complete) complete = true;
    return chunks;
  };
  /** Copies queued chunks into `view`, keeping what does not fit; returns the bytes placed. */
  const fromQueue = (view: Uint8Array): number => {
    let filled = 0;
    while (queue.length > 0 && filled < view.byteLength) {
      const chunk = queue[0];
      const room = view.byteLength - filled;
      if (chunk.byteLength <= room) {
        view.set(chunk, filled);
        filled += chunk.byteLength;
        queue.shift();
      } else {
        view.set(chunk.subarray(0, room), filled);
        filled += room;
        queue[0] = chunk.subarray(room);
      }
    }
    return filled;
  };
  return new ReadableStream({
    type: "bytes",
    async pull(controller: ReadableByteStreamController) {
      try {
        if (first !== null) {
          queue.push(...joined(take(first)));
          first = null;
        }
        const request = controller.byobRequest;
        if (request !== null && request.view !== null) {
          const given = request.view;
          const view = new Uint8Array(given.buffer, given.byteOffset, given.byteLength);
          let filled = fromQueue(view);
          while (filled === 0 && !complete) {
            const events = await source.nextInto(view);
            if (ended) return; // cancelled meanwhile
            if (events === null) complete = true;
            else filled = gather(view, take(events));
          }
          if (filled > 0) request.respond(filled);
          if (complete && queue.length === 0) {
            end();
            controller.close();
            if (filled === 0) request.respond(0); // a BYOB read pending at the close gets its buffer back
          }
          return;
        }
        while (queue.length === 0 && !complete) {
          const events = await source.next();
          if (ended) return;
          if (events === null) complete = true;
          else queue.push(...joined(take(events)));
        }
        const chunk = queue.shift();
        if (chunk) controller.enqueue(chunk);
        if (complete && queue.length === 0) {
          end();
          controller.close();
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

/** Reads a `ReplayableBody` from its start: one per attempt to send the request. */
export interface BodyCursor {
  /** The next chunk, or null at the end. Rejects with the source's error if it fails. */
  next(): Promise<Uint8Array | null>;
  /** True when the chunk just returned was the last one (known once the source has ended). */
  readonly atEnd: boolean;
}

/** Bytes read at a time from a byte stream body (into one buffer, reused). */
const BYOB_READ_BYTES = 64 * 1024;

const NOT_YET = Symbol("not yet");

/** Resolves after a few microtask turns, never a macrotask: no I/O is awaited. */
async function soon(): Promise<typeof NOT_YET> {
  // Deno's string and byte bodies answer a read one turn later.
  for (let turn = 0; turn < 3; turn++) await null;
  return NOT_YET;
}

/**
 * A request body that may have to be sent twice, when the server refuses
 * the request before processing it (425 Too Early, H3_REQUEST_REJECTED).
 *
 * Bytes given whole are held whole. A stream is first looked into without
 * waiting for I/O (`settle`): what it has in memory already is kept, and a
 * stream that ends there is held whole too, its length known. The rest is
 * read once, as the request goes out, and its chunks are kept while the
 * bytes read add up to at most `window`; past that they are handed on and
 * no longer kept, and the body can no longer be replayed (`replayable`
 * turns false). Memory stays bounded by `window` plus the chunk in hand (and
 * what the stream already held in memory), whatever the body's size.
 *
 * A byte stream (`type: "bytes"`) is read with a BYOB reader into one
 * buffer, reused: a chunk it returns and does not keep is valid until a
 * cursor asks for the next one, so send it before asking.
 */
export class ReplayableBody {
  #window: number;
  /** Chunks kept, from chunk number `#keptFrom` on. */
  #kept: Uint8Array[];
  #keptFrom = 0;
  /** Chunks taken from the source so far, and their bytes. */
  #count: number;
  #bytesRead: number;
  /** Some chunk read was not kept: a new cursor could not start from the beginning. */
  #overflowed = false;
  #done: boolean;
  #cancelled: unknown = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** A byte stream's reader: it reads into `#spare`, so a long body makes no garbage. */
  #byob: ReadableStreamBYOBReader | null = null;
  #spare: ArrayBuffer | null = null;
  #pending: Promise<Uint8Array | null> | null = null;
  /** Cursors made so far: only the newest may let kept chunks go. */
  #cursors = 0;

  private constructor(source: Uint8Array | ReadableStream<Uint8Array>, window: number) {
    this.#window = window;
    if (source instanceof Uint8Array) {
      this.#kept = source.byteLength > 0 ? [source] : [];
      this.#count = this.#kept.length;
      this.#bytesRead = source.byteLength;
      this.#done = true;
      return;
    }
    this.#kept = [];
    this.#count = 0;
    this.#bytesRead = 0;
    this.#done = false;
    try {
      this.#byob = source.getReader({ mode: "byob" });
    } catch {
      this.#reader = source.getReader(); // not a byte stream
    }
  }

  /** A body held whole: it can always be sent again. */
  static held(bytes: Uint8Array): ReplayableBody {
    return new ReplayableBody(bytes, Infinity);
  }

  /** A streamed body whose first `window` bytes are kept for a resend. */
  static streamed(stream: ReadableStream<Uint8Array>, window: number): ReplayableBody {
    if (!(window >= 0)) {
      throw new RangeError(
        `Cannot keep a replay window of ${window} bytes: received a negative size`,
      );
    }
    return new ReplayableBody(stream, window);
  }

  /** The byte length once the whole body is held (given whole, or a stream that ended), else null. */
  get length(): number | null {
    return this.#done && !this.#overflowed && this.#cancelled === null ? this.#bytesRead : null;
  }

  /** True while every byte read from the body so far is still held, so a new cursor can replay it. */
  get replayable(): boolean {
    return !this.#overflowed;
  }

  /** Bytes read from the body so far (all of it when held whole). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /**
   * Takes in what the stream can give without waiting for I/O, up to about
   * `window` bytes: a body that was in memory all along (a string or bytes
   * in a `Request`) ends there and gets a known `length`. With `wait`, it
   * waits for I/O too (for a body declared small): up to `window` bytes and
   * one chunk, never more, whatever the body turns out to be.
   */
  async settle(wait = false): Promise<void> {
    while (!this.#done && this.#cancelled === null && this.#bytesRead <= this.#window) {
      this.#pending ??= this.#pull(true);
      if (wait) await this.#pending;
      else if (await Promise.race([this.#pending, soon()]) === NOT_YET) return;
    }
  }

  /** Reads the body from its start. Throws if bytes already read are no longer held. */
  cursor(): BodyCursor {
    if (this.#overflowed) {
      throw new Error(
        `Cannot replay the request body: ${this.#bytesRead} bytes were read, only ${this.#window} are kept`,
      );
    }
    const generation = ++this.#cursors;
    let index = 0;
    let atEnd = this.#done && this.#count === 0;
    return {
      next: async () => {
        const chunk = await this.#at(index, generation);
        if (chunk !== null) index++;
        atEnd = chunk === null || (this.#done && index === this.#count);
        return chunk;
      },
      get atEnd() {
        return atEnd;
      },
    };
  }

  /** Stops the source (when the request is over or abandoned); no-op for a held body. */
  cancel(reason?: unknown): void {
    if (this.#cancelled !== null) return;
    this.#cancelled = reason ?? new Error("the request body was cancelled");
    this.#kept = [];
    if (this.#done) return;
    (this.#byob ?? this.#reader)?.cancel(reason).catch(() => {});
  }

  /** Chunk number `index`, for cursor number `cursor`: only the newest one lets chunks go. */
  async #at(index: number, cursor: number): Promise<Uint8Array | null> {
    // Never end a cancelled body cleanly: a reader would take it for complete.
    if (this.#cancelled !== null) throw this.#cancelled;
    if (index < this.#keptFrom) {
      throw new Error(
        `Cannot replay the request body: its first ${this.#bytesRead} bytes are gone`,
      );
    }
    const kept = index - this.#keptFrom;
    if (kept < this.#kept.length) {
      const chunk = this.#kept[kept];
      // Past the window, chunks are kept only until the sending cursor took them.
      if (this.#overflowed && cursor === this.#cursors) this.#drop(index + 1);
      return chunk;
    }
    if (this.#done) return null;
    // One read at a time, shared: an abandoned attempt's read is the next attempt's chunk.
    this.#pending ??= this.#pull(false);
    const chunk = await this.#pending;
    if (chunk !== null && this.#overflowed && cursor === this.#cursors) this.#drop(this.#count);
    return chunk;
  }

  /** Forgets the kept chunks before chunk number `upTo`. */
  #drop(upTo: number): void {
    const count = Math.min(upTo - this.#keptFrom, this.#kept.length);
    if (count <= 0) return;
    this.#kept.splice(0, count);
    this.#keptFrom += count;
  }

  /** The next chunk from the source; kept if within the window, or if `keep` (read ahead). */
  async #pull(keep: boolean): Promise<Uint8Array | null> {
    try {
      for (;;) {
        const { value, done } = await this.#read();
        if (done) {
          this.#done = true;
          return null;
        }
        if (value.byteLength === 0) continue;
        this.#count++;
        this.#bytesRead += value.byteLength;
        if (keep || (!this.#overflowed && this.#bytesRead <= this.#window)) {
          // A copy when the chunk sits in the reused buffer.
          this.#kept.push(this.#byob ? value.slice() : value);
        } else {
          this.#overflowed = true;
        }
        return value;
      }
    } finally {
      this.#pending = null;
    }
  }

  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#byob === null) return await this.#reader!.read();
    const buffer = this.#spare ?? new ArrayBuffer(BYOB_READ_BYTES);
    this.#spare = null;
    const result = await this.#byob.read(new Uint8Array(buffer));
    // The read took the buffer over; its result is a view on it: reuse it next time.
    if (result.value) this.#spare = result.value.buffer as ArrayBuffer;
    return result as ReadableStreamReadResult<Uint8Array>;
  }
}
