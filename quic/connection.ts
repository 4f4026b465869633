/**
 * One QUIC connection over a quiche state machine. Sans-IO towards the
 * network: the driver feeds it datagrams (`receive`), drains datagrams to send
 * (`poll`), and arms a timer from `timeout()`; the application sees web
 * streams, a handshake promise and a close promise.
 *
 * @module
 */
import { type HostPort, type NativeConnection, Shutdown } from "./_native.ts";
import {
  CRYPTO_ERROR_BASE,
  describeClose,
  type QuicCloseInfo,
  QuicConnectionError,
  QuicHandshakeError,
  QuicStreamError,
  TransportErrorCode,
} from "./errors.ts";
import { QuicStream, type StreamIo } from "./stream.ts";
import type { QuicConn, QuicConnStats } from "./engine.ts";
import type { ClientAuthPolicy, ClientAuthRefusal } from "./client_auth.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Incoming {
  readable: ReadableStream<QuicStream>;
  controller: ReadableStreamDefaultController<QuicStream>;
}

/** Whether we opened the connection or accepted it. */
export type Role = "client" | "server";

/** Driver hooks a connection calls; the driver owns sockets and timers. */
export interface ConnectionDriver {
  /** The connection has datagrams to send or a new deadline. */
  wake(connection: QuicConnection): void;
}

/** Creation options of a `QuicConnection`. */
export interface ConnectionInit {
  role: Role;
  local: HostPort;
  remote: HostPort;
  driver: ConnectionDriver;
  /** Client only: called with a new resumable session after the handshake and after each new ticket. */
  onSession?: (session: Uint8Array) => void;
  /** Client only: the session offered for resumption, if any. */
  offeredSession?: boolean;
  /**
   * Server only: the client must present a certificate this policy admits.
   * Until it has (at the end of the handshake, or in the first 0-RTT flight
   * for a resumed session) no stream is delivered; a refused client is closed
   * with a TLS alert.
   */
  clientAuth?: ClientAuthPolicy;
  /** Server only, with `clientAuth`: called once the client is admitted. */
  onAdmitted?: () => void;
  /**
   * Server only, with `clientAuth`: called once if the connection starts to
   * close before its client was admitted (refused by BoringSSL or the policy,
   * or abandoned).
   */
  onRefused?: () => void;
}

/** Where a server connection stands with its client's certificate. */
type Admission = "pending" | "admitted" | "refused";

/** Opened by the peer if the low bit of the ID differs from ours (RFC 9000 §2.1). */
function initiator(id: number): Role {
  return (id & 1) === 0 ? "client" : "server";
}

function isBidi(id: number): boolean {
  return (id & 2) === 0;
}

function streamError(id: number, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const reset = /^StreamReset\((\d+)\)/.exec(message);
  if (reset) return new QuicStreamError(id, "reset", Number(reset[1]));
  const stopped = /^StreamStopped\((\d+)\)/.exec(message);
  if (stopped) return new QuicStreamError(id, "stopped", Number(stopped[1]));
  return new Error(`QUIC stream ${id}: ${message}`, { cause: error });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A QUIC connection: streams, 0-RTT state, session export and close. */
export class QuicConnection implements StreamIo, QuicConn {
  /** Client or server. */
  readonly role: Role;
  /** Our UDP address. */
  readonly local: HostPort;
  /** The peer's UDP address. */
  readonly remote: HostPort;
  /** Resolves when the TLS handshake completes; rejects with `QuicHandshakeError`. */
  readonly handshake: Promise<void>;
  /** Resolves once the connection is fully closed (after draining). */
  readonly closed: Promise<QuicCloseInfo>;
  /** Resolves as soon as either side sends CONNECTION_CLOSE (or the idle timer fires). */
  readonly closing: Promise<QuicCloseInfo>;

  #native: NativeConnection;
  #driver: ConnectionDriver;
  #streams = new Map<number, QuicStream>();
  // Incoming-stream queues, made on first use: a ReadableStream is ~1.3 KiB,
  // and idle connections are many (RSS per idle connection is a target).
  #incoming: { bidi?: Incoming; uni?: Incoming } = {};
  #nextLocal = { bidi: 0, uni: 0 };
  #peerSeen = { bidi: -1, uni: -1 };
  #peerGaps = new Set<number>();
  #handshake = Promise.withResolvers<void>();
  #closed = Promise.withResolvers<QuicCloseInfo>();
  #closing = Promise.withResolvers<QuicCloseInfo>();
  #closingSeen = false;
  #established = false;
  #finished = false;
  #creditWaiters: Array<() => void> = [];
  #onSession?: (session: Uint8Array) => void;
  #lastSession: Uint8Array | null = null;
  #offeredSession: boolean;
  #failure: QuicConnectionError | null = null;
  #blocked = new Set<QuicStream>();
  /** Streams whose read side is open: the ones to ask for data. */
  #readers = new Set<QuicStream>();
  #sessionCheckedAt = 0;
  #clientAuth: ClientAuthPolicy | null;
  #onAdmitted?: () => void;
  #onRefused?: () => void;
  #admission: Admission;
  /** The client-certificate verdict, once its certificate is known ("none": admitted). */
  #refusal: ClientAuthRefusal | "none" | null = null;

  constructor(native: NativeConnection, init: ConnectionInit) {
    this.#native = native;
    this.role = init.role;
    this.local = init.local;
    this.remote = init.remote;
    this.#driver = init.driver;
    this.#onSession = init.onSession;
    this.#offeredSession = init.offeredSession ?? false;
    this.#clientAuth = init.role === "server" ? init.clientAuth ?? null : null;
    this.#onAdmitted = init.onAdmitted;
    this.#onRefused = init.onRefused;
    this.#admission = this.#clientAuth ? "pending" : "admitted";
    const base = init.role === "client" ? 0 : 1;
    this.#nextLocal = { bidi: base, uni: base + 2 };
    this.handshake = this.#handshake.promise;
    this.handshake.catch(() => {}); // observed through `closed` when nobody awaits it
    this.closed = this.#closed.promise;
    this.closing = this.#closing.promise;
  }

  /** Bidirectional streams the peer opened. */
  get incomingBidirectionalStreams(): ReadableStream<QuicStream> {
    return this.#queue("bidi").readable;
  }

  /** Unidirectional streams the peer opened. */
  get incomingUnidirectionalStreams(): ReadableStream<QuicStream> {
    return this.#queue("uni").readable;
  }

  #queue(kind: "bidi" | "uni"): Incoming {
    let queue = this.#incoming[kind];
    if (!queue) {
      let controller!: ReadableStreamDefaultController<QuicStream>;
      const readable = new ReadableStream<QuicStream>({ start: (c) => void (controller = c) });
      queue = this.#incoming[kind] = { readable, controller };
      if (this.#finished) controller.close();
    }
    return queue;
  }

  /** The negotiated ALPN protocol; empty before the handshake has chosen one. */
  get protocol(): string {
    return decoder.decode(this.#native.applicationProto());
  }

  /** True while data we send or receive travels as 0-RTT early data. */
  get earlyData(): boolean {
    return this.#native.isInEarlyData();
  }

  /** True when this connection resumed a session (0-RTT or 1-RTT resumption). */
  get resumed(): boolean {
    return this.#native.isResumed();
  }

  /** True once the handshake has completed. */
  get established(): boolean {
    return this.#established;
  }

  /** Client only: whether a session was offered for 0-RTT. */
  get offeredSession(): boolean {
    return this.#offeredSession;
  }

  /**
   * Client only: null until the handshake completes; then whether the server
   * resumed our session and so took the 0-RTT data (false: it was resent in 1-RTT).
   */
  get earlyDataAccepted(): boolean | null {
    if (!this.#offeredSession) return false;
    return this.#established ? this.#native.isResumed() : null;
  }

  /** The connection IDs routing to this connection: ours, as the peer addresses us. */
  get sourceId(): Uint8Array {
    return this.#native.sourceId();
  }

  /** Client only: the latest resumable session, or null before the first ticket. */
  session(): Uint8Array | null {
    return this.#native.session();
  }

  /**
   * The certificate chain the peer authenticated with (DER, leaf first), or
   * null if it sent none. On a resumed connection, the chain its session was
   * first made with (TLS 1.3 resumption sends no certificate).
   */
  peerCertificates(): Uint8Array[] | null {
    return this.#native.peerCertChain();
  }

  /** Server only: false while a listener with `clientAuth` has not yet admitted the client. */
  get admitted(): boolean {
    return this.#admission === "admitted";
  }

  /** Packet and byte counters. */
  stats(): QuicConnStats {
    const s = this.#native.stats();
    return {
      sent: s.sent,
      recv: s.recv,
      lost: s.lost,
      sentBytes: s.sentBytes,
      recvBytes: s.recvBytes,
    };
  }

  /** Opens a bidirectional stream; waits for the handshake (unless in 0-RTT) and for stream credit. */
  createBidirectionalStream(): Promise<QuicStream> {
    return this.#open("bidi");
  }

  /** Opens a unidirectional stream. */
  createUnidirectionalStream(): Promise<QuicStream> {
    return this.#open("uni");
  }

  /** Closes with an application error code and reason; resolves when fully closed. */
  close(options: { code?: number; reason?: string } = {}): Promise<QuicCloseInfo> {
    if (!this.#finished && !this.#native.isClosed()) {
      this.#native.close(true, options.code ?? 0, encoder.encode(options.reason ?? ""));
      this.#driver.wake(this);
      if (!this.#closingSeen) {
        this.#closingSeen = true;
        this.#closing.resolve(this.#closeInfo());
      }
    }
    return this.closed;
  }

  // ---- driver side -------------------------------------------------------

  /** Feeds one UDP datagram. Returns false if quiche rejected it (it is dropped, never thrown). */
  receive(datagram: Uint8Array, from: HostPort): boolean {
    try {
      this.#native.recv(datagram, { from, to: this.local });
    } catch {
      return false;
    }
    this.#afterInput();
    return true;
  }

  /** Writes the next datagram to send into `out`; returns its length, or 0 when none is due. */
  poll(out: Uint8Array): number {
    let result;
    try {
      result = this.#native.send(out);
    } catch {
      return 0;
    }
    return result === null ? 0 : result[0];
  }

  /** Milliseconds until `onTimeout` must run; null when no timer is needed. */
  timeout(): number | null {
    return this.#native.timeout();
  }

  /** Runs quiche's timers (loss detection, idle, draining). */
  onTimeout(): void {
    this.#native.onTimeout();
    this.#afterInput();
  }

  /** Driver: true once we have decided to close (our CONNECTION_CLOSE is due or sent). */
  get closingLocally(): boolean {
    return this.#native.localError() !== null;
  }

  /** True once quiche is closed and the driver can forget this connection. */
  get isClosed(): boolean {
    return this.#native.isClosed();
  }

  /** Called by the driver after `isClosed` turns true: settles every promise. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#admission !== "admitted") this.#reportRefused();
    const info = this.#closeInfo();
    const error = this.#failure ?? this.#closeError(info);
    this.#failure = error;
    this.#handshake.reject(error);
    for (const stream of this.#streams.values()) stream.onConnectionClosed(error);
    this.#streams.clear();
    this.#blocked.clear();
    this.#readers.clear();
    for (const waiter of this.#creditWaiters.splice(0)) waiter();
    for (const queue of [this.#incoming.bidi, this.#incoming.uni]) {
      try {
        queue?.controller.close();
      } catch { /* already closed by a cancelled reader */ }
    }
    this.#closing.resolve(info);
    this.#closed.resolve(info);
  }

  // ---- StreamIo ------------------------------------------------------------

  /** @internal */
  recv(id: number, out: Uint8Array): [number, boolean] | null {
    try {
      return this.#native.streamRecv(id, out);
    } catch (error) {
      throw streamError(id, error);
    }
  }

  /** @internal */
  send(id: number, data: Uint8Array, fin: boolean): number {
    if (this.#finished) throw new QuicConnectionError("QUIC connection closed", this.#closeInfo());
    let written: number | null;
    try {
      written = this.#native.streamSend(id, data, fin);
    } catch (error) {
      if (!(error instanceof Error && error.message === "Done")) throw streamError(id, error);
      written = null;
    }
    if (written !== null) return written;
    // "Done" means no credit now, or that quiche forgot the stream: it frees one
    // whose response was read to the end after the peer sent STOP_SENDING, and
    // then answers "Done" forever. A write waiting for credit would never end.
    if (!this.#exists(id)) {
      throw new QuicStreamError(id, "stopped", this.#streams.get(id)?.peerStopCode ?? 0);
    }
    return -1;
  }

  /** Does quiche still know stream `id`? (Its capacity is an error for a forgotten one.) */
  #exists(id: number): boolean {
    try {
      this.#native.streamCapacity(id);
      return true;
    } catch (error) {
      return !(error instanceof Error && /^InvalidStreamState/.test(error.message));
    }
  }

  /**
   * Learns whether the peer stopped `stream`'s sending while quiche still
   * knows it, so the code is kept for its blocked writer (see `send`). Called
   * for blocked streams only, before anything is read: reading a stream to
   * its end is the moment quiche may forget it. A later write to a stream
   * that was not blocked still fails in `send`, with code 0.
   */
  #checkStopped(stream: QuicStream): void {
    if (!stream.writing || stream.peerStopCode !== null) return;
    try {
      this.#native.streamCapacity(stream.id);
    } catch (error) {
      const stopped = /^StreamStopped\((\d+)\)/.exec(error instanceof Error ? error.message : "");
      if (stopped) stream.onPeerStopped(Number(stopped[1]));
    }
  }

  /** @internal */
  shutdown(id: number, direction: "read" | "write", code: number): void {
    if (this.#finished) return;
    try {
      this.#native.streamShutdown(id, direction === "read" ? Shutdown.Read : Shutdown.Write, code);
    } catch { /* the stream is already gone in quiche: nothing to shut down */ }
    this.#driver.wake(this);
  }

  /** @internal */
  wake(): void {
    if (!this.#finished) this.#driver.wake(this);
  }

  /** @internal */
  blocked(stream: QuicStream): void {
    this.#blocked.add(stream);
  }

  /** @internal */
  unblocked(stream: QuicStream): void {
    this.#blocked.delete(stream);
  }

  /** @internal */
  done(stream: QuicStream): void {
    if (!stream.reading) this.#readers.delete(stream);
    if (!stream.writing) this.#blocked.delete(stream);
    if (stream.finished) this.#streams.delete(stream.id);
  }

  // ---- internals ---------------------------------------------------------

  #closeError(info: QuicCloseInfo): QuicConnectionError {
    return this.#established
      ? new QuicConnectionError(`QUIC connection to ${this.#peer()} ${describeClose(info)}`, info)
      : new QuicHandshakeError(
        `QUIC handshake with ${this.#peer()} failed: ${describeClose(info)}`,
        info,
      );
  }

  #peer(): string {
    return `${this.remote.host}:${this.remote.port}`;
  }

  #closeInfo(): QuicCloseInfo {
    const idle = this.#native.isTimedOut();
    const peer = this.#native.peerError();
    const local = this.#native.localError();
    const error = peer ?? local;
    return {
      remote: peer !== null,
      app: error?.isApp ?? false,
      code: error?.errorCode ?? (idle ? 0 : TransportErrorCode.NO_ERROR),
      reason: error ? decoder.decode(error.reason) : "",
      idle: idle && error === null,
    };
  }

  async #open(kind: "bidi" | "uni"): Promise<QuicStream> {
    for (;;) {
      if (this.#failure instanceof QuicHandshakeError) throw this.#failure;
      if (this.#finished) {
        throw new QuicConnectionError(
          `Cannot open a stream: QUIC connection to ${this.#peer()} is closed`,
          this.#closeInfo(),
        );
      }
      const ready = this.#established || this.#native.isInEarlyData();
      const left = kind === "bidi"
        ? this.#native.peerStreamsLeftBidi()
        : this.#native.peerStreamsLeftUni();
      if (ready && left > 0) break;
      if (!ready) await this.handshake;
      else await new Promise<void>((resolve) => this.#creditWaiters.push(resolve));
    }
    const id = this.#nextLocal[kind];
    this.#nextLocal[kind] += 4;
    // A zero-length write makes quiche create the stream, so credit is taken now.
    this.#native.streamSend(id, new Uint8Array(0), false);
    const stream = new QuicStream(id, this, {
      read: kind === "bidi",
      write: true,
      earlyData: this.#native.isInEarlyData(),
    });
    this.#streams.set(id, stream);
    if (kind === "bidi") this.#readers.add(stream);
    return stream;
  }

  /** Is `id` a stream the peer opens that we have not seen yet? Tracks gaps (RFC 9000 §3.2). */
  #isNewPeerStream(id: number): boolean {
    if (initiator(id) === this.role) return false;
    const kind = isBidi(id) ? "bidi" : "uni";
    const seen = this.#peerSeen[kind];
    if (id > seen) {
      for (let gap = seen < 0 ? (id & 3) : seen + 4; gap < id; gap += 4) this.#peerGaps.add(gap);
      this.#peerSeen[kind] = id;
      return true;
    }
    return this.#peerGaps.delete(id);
  }

  /**
   * Decides on the client's certificate as soon as it is known: at the end of
   * a full handshake (BoringSSL has verified it by then), or in the first
   * flight of a resumed one, whose session carries it. A refusal closes the
   * connection with the TLS alert as CRYPTO_ERROR (RFC 9001 §4.8).
   */
  #admit(): void {
    const native = this.#native;
    const established = native.isEstablished();
    if (!established && !native.isInEarlyData()) return;
    if (native.isClosed() || native.localError() !== null || native.peerError() !== null) return;
    this.#refusal ??= this.#clientAuth!.check(native.peerCertChain()) ?? "none";
    const refusal = this.#refusal;
    if (refusal === "none") {
      this.#admission = "admitted";
      this.#onAdmitted?.();
      return;
    }
    // A client in its first flight has no handshake keys yet, and quiche sends
    // the close in a Handshake packet it cannot read (measured: the client hit
    // its idle timeout). So a refusal waits for the end of the handshake; the
    // 0-RTT data stays undelivered meanwhile.
    if (!established) return;
    this.#admission = "refused";
    native.close(false, CRYPTO_ERROR_BASE + refusal.alert, encoder.encode(refusal.reason));
    this.#driver.wake(this);
  }

  /** Tells the driver, once, that this connection ends without its client admitted. */
  #reportRefused(): void {
    const report = this.#onRefused;
    this.#onRefused = undefined;
    report?.();
  }

  #afterInput(): void {
    const native = this.#native;
    if (this.#admission === "pending") this.#admit();
    if (!this.#established && native.isEstablished() && this.#admission !== "refused") {
      this.#established = true;
      if (this.#offeredSession && !native.isResumed()) {
        // The server refused our session, so it dropped our 0-RTT packets. An
        // ack-eliciting 1-RTT packet gets them declared lost one round trip
        // from now (RFC 9002 §6.1.2) instead of after a probe timeout.
        native.sendAckEliciting();
      }
      this.#handshake.resolve();
    } else if (!this.#established && this.#failure === null) {
      // A failed handshake is known now; the close still drains (RFC 9000
      // §10.2), but the application need not wait for that.
      if (native.peerError() !== null || native.localError() !== null || native.isClosed()) {
        this.#failure = this.#closeError(this.#closeInfo());
        this.#handshake.reject(this.#failure);
      }
    }
    if (
      this.#admission !== "admitted" &&
      (native.localError() !== null || native.peerError() !== null || native.isClosed())
    ) this.#reportRefused();
    if (!this.#closingSeen && (native.isDraining() || native.peerError() !== null)) {
      this.#closingSeen = true;
      this.#closing.resolve(this.#closeInfo());
    }
    // Before anything is read: a read to the end may make quiche forget a stopped stream.
    for (const stream of this.#blocked) this.#checkStopped(stream);
    if (this.#admission === "admitted" && native.isReadable()) this.#deliverReadable();
    // Woken writers stay watched (above) until they run: a batch of datagrams is
    // read before they do, and may carry the STOP_SENDING that ends their stream.
    for (const stream of this.#blocked) stream.onWritable();
    if (this.#creditWaiters.length > 0) {
      for (const waiter of this.#creditWaiters.splice(0)) waiter();
    }
    if (this.#onSession && this.#established) this.#exportSession();
  }

  /**
   * Delivers readable data. quiche's `readable()` iterator costs ~20 µs a call
   * through the binding (measured), more than the rest of a request, so ask
   * per stream instead: known readers first, then the next stream IDs the peer
   * may open, and scan only if data is still unclaimed (a stream opened out of
   * order, past a gap).
   */
  #deliverReadable(): void {
    const native = this.#native;
    for (const stream of this.#readers) {
      if (native.streamReadable(stream.id)) stream.onReadable();
    }
    const base = this.role === "client" ? 1 : 0;
    this.#discover(this.#peerSeen.bidi < 0 ? base : this.#peerSeen.bidi + 4);
    this.#discover(this.#peerSeen.uni < 0 ? base + 2 : this.#peerSeen.uni + 4);
    for (const gap of this.#peerGaps) this.#discover(gap);
    if (native.isReadable() && !this.#readerHolding()) {
      for (const id of native.readable()) {
        if (!this.#streams.has(id)) this.#discover(id);
      }
    }
  }

  /** True if a known reader still has unread data (it is applying backpressure). */
  #readerHolding(): boolean {
    for (const stream of this.#readers) {
      if (this.#native.streamReadable(stream.id)) return true;
    }
    return false;
  }

  /** Accepts the peer's streams from `id` on, while they have data, stepping by 4. */
  #discover(id: number): void {
    while (!this.#streams.has(id) && this.#native.streamReadable(id)) {
      if (!this.#isNewPeerStream(id)) return;
      const bidi = isBidi(id);
      const stream = new QuicStream(id, this, {
        read: true,
        write: bidi,
        earlyData: this.role === "server" && this.#native.isInEarlyData(),
      });
      this.#streams.set(id, stream);
      this.#readers.add(stream);
      try {
        this.#queue(bidi ? "bidi" : "uni").controller.enqueue(stream);
      } catch {
        // Nobody accepts streams any more: refuse this one (RFC 9000 §3.5).
        stream.stopSending(0);
        if (bidi) stream.reset(0);
        return;
      }
      stream.onReadable();
      if (this.#peerGaps.has(id + 4)) return; // the next one is a gap, handled on its own
      id += 4;
    }
  }

  /**
   * Hands a new session ticket to `onSession`. quiche has no ticket event, so
   * look after every input until the first session, then at most once a second.
   */
  #exportSession(): void {
    if (this.#lastSession !== null) {
      const now = performance.now();
      if (now - this.#sessionCheckedAt < 1000) return;
      this.#sessionCheckedAt = now;
    }
    const session = this.#native.session();
    if (session === null) return;
    if (this.#lastSession !== null && sameBytes(session, this.#lastSession)) return;
    this.#lastSession = session;
    this.#onSession!(session);
  }
}
