/**
 * A QUIC stream exposed as a pair of web streams whose buffering is bounded by
 * QUIC flow control in both directions.
 *
 * @module
 */
import { QuicStreamError } from "./errors.ts";

/** What a stream needs from its connection; implemented by `QuicConnection`. */
export interface StreamIo {
  /** Reads into `out`; null when nothing is buffered. Throws `QuicStreamError` on reset. */
  recv(id: number, out: Uint8Array): [number, boolean] | null;
  /**
   * Queues bytes; returns how many quiche accepted, or -1 when the stream has
   * no flow-control credit now. Throws `QuicStreamError` when stopped.
   */
  send(id: number, data: Uint8Array, fin: boolean): number;
  /** Sends STOP_SENDING ("read") or RESET_STREAM ("write") with `code`. */
  shutdown(id: number, direction: "read" | "write", code: number): void;
  /** Tells the driver that packets may be ready to send. */
  wake(): void;
  /**
   * Asks to have `onWritable` called after each input (the stream ran out of
   * credit), until `unblocked`: while its writer is woken but not yet running,
   * the connection still watches for the peer's STOP_SENDING.
   */
  blocked(stream: QuicStream): void;
  /** The stream's writer got its bytes into quiche after waiting: stop watching it. */
  unblocked(stream: QuicStream): void;
  /** Tells the connection that one direction of the stream is finished. */
  done(stream: QuicStream): void;
}

/** Bytes a stream reads ahead of its consumer; the rest waits in quiche's window. */
const READ_AHEAD = 64 * 1024;
/** Scratch space for `read()`; each chunk is copied out of it at its exact size. */
const scratch = new Uint8Array(64 * 1024);
const EMPTY = new Uint8Array(0);

function errorCode(reason: unknown): number {
  if (typeof reason === "object" && reason !== null && "code" in reason) {
    const code = (reason as { code: unknown }).code;
    if (typeof code === "number" && Number.isInteger(code) && code >= 0) return code;
  }
  return 0;
}

/** One QUIC stream; either side may be absent for unidirectional streams. */
export class QuicStream {
  /** The QUIC stream ID (RFC 9000 §2.1). */
  readonly id: number;
  /** True when the stream's first bytes travel as 0-RTT: sent so (client) or received so (server). */
  readonly earlyData: boolean;

  #io: StreamIo;
  #canRead: boolean;
  #canWrite: boolean;
  // Web streams are made on first use: protocol code reads and writes directly
  // (read()/write()), which skips their per-stream cost on the hot path.
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #directRead = false;
  #directWrite = false;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #readDone: boolean;
  #readError: unknown = null;
  #writeDone: boolean;
  /** The peer's STOP_SENDING, once seen: every write fails with it. */
  #writeError: Error | null = null;
  #readWaiter: (() => void) | null = null;
  #writeWaiter: (() => void) | null = null;

  constructor(
    id: number,
    io: StreamIo,
    options: { read: boolean; write: boolean; earlyData: boolean },
  ) {
    this.id = id;
    this.#io = io;
    this.earlyData = options.earlyData;
    this.#canRead = options.read;
    this.#canWrite = options.write;
    this.#readDone = !options.read;
    this.#writeDone = !options.write;
  }

  /** Data from the peer as a web stream; null on a unidirectional stream we opened. */
  get readable(): ReadableStream<Uint8Array> | null {
    if (!this.#canRead) return null;
    if (this.#readable === undefined) {
      if (this.#directRead) {
        throw new TypeError(`Cannot use stream ${this.id}'s readable after read()`);
      }
      this.#readable = new ReadableStream<Uint8Array>({
        start: (controller) => {
          this.#controller = controller;
          if (this.#readError !== null) controller.error(this.#readError);
        },
        pull: () => this.#pull(),
        cancel: (reason) => this.stopSending(errorCode(reason)),
      }, { highWaterMark: READ_AHEAD, size: (chunk) => chunk.byteLength });
    }
    return this.#readable;
  }

  /** Data to the peer as a web stream; null on a unidirectional stream the peer opened. */
  get writable(): WritableStream<Uint8Array> | null {
    if (!this.#canWrite) return null;
    if (this.#writable === undefined) {
      if (this.#directWrite) {
        throw new TypeError(`Cannot use stream ${this.id}'s writable after write()`);
      }
      this.#writable = new WritableStream<Uint8Array>({
        write: (chunk) => this.#write(chunk, false),
        close: () => this.#write(EMPTY, true),
        abort: (reason) => this.reset(errorCode(reason)),
      });
    }
    return this.#writable;
  }

  /**
   * Reads the next chunk directly, without the web stream; null once the peer
   * has finished, or once we stopped reading (`stopSending()`). Throws
   * `QuicStreamError` if the peer reset the stream. The chunk is a copy the
   * caller owns; `readInto()` reads without one.
   */
  async read(): Promise<Uint8Array | null> {
    return await this.#next(null) as Uint8Array | null;
  }

  /**
   * Reads the next bytes directly into `buffer`, without the web stream and
   * without a copy: resolves with how many bytes were written at its start
   * (at least 1), or null once the peer has finished, or once we stopped
   * reading (`stopSending()`). Throws `QuicStreamError` if the peer reset the
   * stream.
   *
   * @example
   * ```ts
   * const buffer = new Uint8Array(64 * 1024); // reused: a long stream makes no garbage
   * for (let n = await stream.readInto(buffer); n !== null; n = await stream.readInto(buffer)) {
   *   consume(buffer.subarray(0, n));
   * }
   * ```
   */
  readInto(buffer: Uint8Array): Promise<number | null> {
    if (buffer.byteLength === 0) {
      return Promise.reject(
        new RangeError(`Cannot read stream ${this.id} into a buffer: received an empty one`),
      );
    }
    return this.#next(buffer) as Promise<number | null>;
  }

  /**
   * Receives into `out` and gives the length; with no `out`, into the shared
   * scratch and gives a copy, made before anything else can receive into it.
   * Null at the end.
   */
  async #next(out: Uint8Array | null): Promise<Uint8Array | number | null> {
    if (this.#readable !== undefined) {
      throw new TypeError(`Cannot read() stream ${this.id}: its readable is in use`);
    }
    this.#directRead = true;
    for (;;) {
      if (this.#readDone) {
        if (this.#readError !== null) throw this.#readError;
        return null;
      }
      let result: [number, boolean] | null;
      try {
        result = this.#io.recv(this.id, out ?? scratch);
      } catch (error) {
        this.#readDone = true;
        this.#readError = error;
        this.#io.done(this);
        throw error;
      }
      if (result !== null) {
        const [length, fin] = result;
        if (fin) {
          this.#readDone = true;
          this.#io.done(this);
        }
        if (length > 0) {
          this.#io.wake(); // reading frees flow-control credit
          return out === null ? scratch.slice(0, length) : length;
        }
        continue;
      }
      await new Promise<void>((resolve) => (this.#readWaiter = resolve));
    }
  }

  /** Writes directly, without the web stream; `fin` ends the stream after `data`. */
  write(data: Uint8Array, fin = false): Promise<void> {
    if (this.#writable !== undefined) {
      return Promise.reject(
        new TypeError(`Cannot write() stream ${this.id}: its writable is in use`),
      );
    }
    this.#directWrite = true;
    return this.#write(data, fin);
  }

  /**
   * Stops reading: STOP_SENDING with `code` (RFC 9000 §19.5). A read in
   * progress ends as if the stream had ended (`read()` and `readInto()`
   * resolve null, the readable closes), as cancelling a web stream resolves
   * its pending reads as done: we chose to stop, so nothing failed.
   */
  stopSending(code: number): void {
    if (this.#readDone) return;
    this.#readDone = true;
    this.#io.shutdown(this.id, "read", code);
    this.#io.done(this);
    try {
      this.#controller?.close();
    } catch { /* the readable is cancelled already: that is what called us */ }
    const waiter = this.#readWaiter;
    this.#readWaiter = null;
    waiter?.();
  }

  /** Abandons sending: RESET_STREAM with `code` (RFC 9000 §19.4). */
  reset(code: number): void {
    if (this.#writeDone) return;
    this.#writeDone = true;
    this.#io.shutdown(this.id, "write", code);
    this.#io.done(this);
    this.onWritable();
  }

  /** True while the read side is open. */
  get reading(): boolean {
    return !this.#readDone;
  }

  /** True once both directions are finished and the connection can forget the stream. */
  get finished(): boolean {
    return this.#readDone && this.#writeDone;
  }

  /** Called by the connection when quiche reports the stream readable. */
  onReadable(): void {
    if (this.#readDone) return;
    if (this.#controller) this.#drain();
    const waiter = this.#readWaiter;
    this.#readWaiter = null;
    waiter?.();
  }

  /** True while the write side is open. */
  get writing(): boolean {
    return !this.#writeDone;
  }

  /**
   * Called by the connection when it learns the peer sent STOP_SENDING with
   * `code`: a write waiting for credit, and every later one, fails with a
   * `QuicStreamError` ("stopped"), even once quiche has forgotten the stream.
   */
  onPeerStopped(code: number): void {
    if (this.#writeDone || this.#writeError !== null) return;
    this.#writeError = new QuicStreamError(this.id, "stopped", code);
    this.onWritable();
  }

  /** The code of the peer's STOP_SENDING, if the connection has seen one. */
  get peerStopCode(): number | null {
    return this.#writeError instanceof QuicStreamError ? this.#writeError.code : null;
  }

  /** Called by the connection when the stream may accept more bytes (or was stopped). */
  onWritable(): void {
    const waiter = this.#writeWaiter;
    this.#writeWaiter = null;
    waiter?.();
  }

  /** Fails both directions because the connection ended. */
  onConnectionClosed(error: Error): void {
    if (!this.#readDone) {
      this.#readDone = true;
      this.#readError = error;
      this.#controller?.error(error);
    }
    this.#writeDone = true;
    const waiter = this.#readWaiter;
    this.#readWaiter = null;
    waiter?.();
    this.onWritable();
  }

  #pull(): Promise<void> | void {
    if (this.#drain() || this.#readDone) return;
    return new Promise<void>((resolve) => (this.#readWaiter = resolve));
  }

  /** Moves bytes from quiche into the web stream while it has room; true on progress. */
  #drain(): boolean {
    const controller = this.#controller!;
    let progressed = false;
    while (!this.#readDone && (controller.desiredSize ?? 0) > 0) {
      let result: [number, boolean] | null;
      try {
        result = this.#io.recv(this.id, scratch);
      } catch (error) {
        this.#readDone = true;
        controller.error(error);
        this.#io.done(this);
        return true;
      }
      if (result === null) break;
      const [length, fin] = result;
      progressed = true;
      if (length > 0) controller.enqueue(scratch.slice(0, length));
      if (fin) {
        this.#readDone = true;
        controller.close();
        this.#io.done(this);
      }
    }
    // Reading frees flow-control credit: let MAX_STREAM_DATA go out.
    if (progressed) this.#io.wake();
    return progressed;
  }

  /**
   * Queues a chunk (and the FIN) in quiche. The driver flushes on its next
   * turn, so a write followed at once by close() leaves as one STREAM frame
   * carrying data and FIN. That matters beyond packet count: quiche 0.18 frees
   * a stream whose data is all acknowledged, so a lost FIN-only frame is never
   * retransmitted (reproduced under loss).
   */
  async #write(chunk: Uint8Array, fin: boolean): Promise<void> {
    if (this.#writeError !== null) throw this.#writeError;
    if (this.#writeDone) throw new Error(`Cannot write to stream ${this.id}: it is closed`);
    await this.#push(chunk, fin);
    if (fin) {
      this.#writeDone = true;
      this.#io.done(this);
    }
  }

  /** Hands all of `data` (and the FIN) to quiche, waiting for flow-control credit as needed. */
  async #push(data: Uint8Array, fin: boolean): Promise<void> {
    let offset = 0;
    let waited = false;
    for (;;) {
      const rest = offset === 0 ? data : data.subarray(offset);
      const written = this.#io.send(this.id, rest, fin);
      // quiche sets the FIN only once every byte before it is queued.
      if (written >= 0) offset += written;
      if (written >= 0 && offset === data.byteLength) break;
      this.#io.wake();
      this.#io.blocked(this);
      waited = true;
      await new Promise<void>((resolve) => (this.#writeWaiter = resolve));
      if (this.#writeError !== null) throw this.#writeError;
      if (this.#writeDone) throw new Error(`Cannot write to stream ${this.id}: connection closed`);
    }
    if (waited) this.#io.unblocked(this);
    this.#io.wake();
  }
}
