/**
 * The HTTP/3 client: `fetch`-like requests over a pool of connections keyed
 * by origin, 0-RTT with remembered (or pre-seeded) sessions, and one retry
 * for a request the server refused before processing it: 425 Too Early
 * (RFC 8470) or H3_REQUEST_REJECTED after GOAWAY (RFC 9114 §5.2).
 *
 * Request bodies stream with backpressure: a chunk is read from the body
 * only once QUIC flow control took the one before, so a body of any size
 * costs the client a bounded amount of memory. See `H3ClientOptions.replayWindow`
 * for which requests go in 0-RTT and which can be sent a second time.
 *
 * @module
 */
import { quicheEngine } from "../quic/mod.ts";
import type {
  QuicClient,
  QuicConn,
  QuicEngine,
  QuicIdentity,
  QuicLimits,
  QuicStreamError,
  QuicStreamLike,
} from "../quic/mod.ts";
import {
  type BodyCursor,
  bodyStream,
  eventSource,
  readBody,
  readHead,
  ReplayableBody,
  writeData,
} from "./body.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import { headerLines, parseResponseHead, requestSection, type ResponseHead } from "./message.ts";
import { type MessageEvent, MessageReader } from "./message_reader.ts";
import { encodeHeadersFrame, type FieldLine } from "./qpack.ts";
import { newNonce, NONCE_HEADER, nonceTarget } from "./replay_guard.ts";
import { H3Session, type H3SessionOptions, streamReset } from "./session.ts";

/** When a request may travel in 0-RTT early data. */
export type EarlyDataPolicy = "all" | "idempotent" | "off";

/** Where 0-RTT sessions are kept, per origin; a Map works, so does a disk cache. */
export interface SessionStore {
  /** The session to offer to `origin`, if any. */
  get(origin: string): Uint8Array | undefined;
  /** Keeps the newest session `origin` issued. */
  set(origin: string, session: Uint8Array): void;
}

/** Options of an `H3Client`. */
export interface H3ClientOptions extends H3SessionOptions {
  /** PEM CA bundle that server certificates must chain to. */
  ca: string;
  /**
   * The client certificate and key to present to servers that require one
   * (mutual TLS). Sessions resumed later carry it without sending it again.
   */
  identity?: QuicIdentity;
  /** QUIC engine; default quiche. */
  engine?: QuicEngine;
  /** Which requests may go out in 0-RTT. Default "all" (servers defend against replay). */
  earlyData?: EarlyDataPolicy;
  /** Session store for 0-RTT; default in memory. */
  sessions?: SessionStore;
  /** Where to connect for an origin, when DNS should not decide (e.g. a worker's port). */
  resolve?: (url: URL) => { hostname: string; port: number; serverName?: string };
  /** Largest response body accepted. Default 1 GiB. */
  maxBodySize?: number;
  /** QUIC limits for new connections. */
  limits?: QuicLimits;
  /** Reuse connections per origin (default true); false opens one per request and closes it after. */
  pool?: boolean;
  /**
   * Give each request sent in 0-RTT a single-use nonce (`x-qfaas-nonce`), so a server's
   * `ReplayGuard` can prove it fresh even when it is not idempotent. Default true.
   */
  nonces?: boolean;
  /**
   * Bind each nonce to the address dialed (`host:port`, replay_guard.ts), for
   * servers that share a ticket key and each admit only nonces bound to
   * themselves (a function's replicas on a cluster). Default false.
   */
  bindNonces?: boolean;
  /**
   * Close a new connection whose handshake has not completed within this
   * many ms (its requests fail at once), rather than wait for the idle
   * timeout: for servers that may be gone (a replica killed). Default none.
   */
  handshakeTimeoutMs?: number;
  /**
   * Bytes of a streamed request body kept while it is sent, so that the
   * request can be sent again if the server refuses it. Default 64 KiB.
   *
   * The rule, per request:
   * - **0-RTT** (as `earlyData` allows) only for a body of known length at
   *   most `replayWindow`: none; an in-memory body (string, bytes, Blob,
   *   FormData, URLSearchParams); a stream that is complete in memory (it
   *   ends without waiting for I/O, as a `Request` made from a string does);
   *   or a stream whose `content-length` header declares at most
   *   `replayWindow` bytes (read whole before it is sent, like an in-memory
   *   body). Any other body waits for the handshake (free on a pooled, open
   *   connection).
   * - **Sent again once** after 425 Too Early (to a 0-RTT request) or
   *   H3_REQUEST_REJECTED, when the client still holds every body byte it has
   *   read: always for an in-memory body (or a stream complete in memory);
   *   for a stream, while at most `replayWindow` bytes have been read from
   *   it (the kept prefix is replayed, then the rest is read from the
   *   stream). Otherwise the request fails with `H3RefusedError`; a
   *   truncated body is never resent.
   * - `content-length` is set when the length is known (in-memory bodies);
   *   a stream is sent as DATA frames until it ends (FIN), with the caller's
   *   `content-length` header, if it gave one, passed on. Chunks are read
   *   from a stream only as fast as QUIC flow control takes them.
   */
  replayWindow?: number;
}

/** Default `H3ClientOptions.replayWindow`: 64 KiB. */
export const DEFAULT_REPLAY_WINDOW = 64 * 1024;

/** Why a server refused a request before processing it. */
export type H3Refusal = "too-early" | "rejected";

/**
 * The server refused a request before processing it (425 Too Early, or
 * H3_REQUEST_REJECTED) and the client did not send it again: either it was
 * refused twice, or its streamed body had outgrown the replay window, so it
 * could not be sent again whole.
 */
export class H3RefusedError extends Error {
  /** The request's URL. */
  readonly url: string;
  /** "too-early": 425 Too Early (RFC 8470); "rejected": H3_REQUEST_REJECTED (RFC 9114 §5.2). */
  readonly refusal: H3Refusal;
  /** True when the request was refused on its second attempt too. */
  readonly twice: boolean;
  /** Body bytes read from the caller's body when the request was given up. */
  readonly bodyBytesRead: number;
  /** Bytes of a streamed body the client kept for a resend (`replayWindow`). */
  readonly replayWindow: number;

  /** Creates the error; `twice` says whether the second attempt was refused as well. */
  constructor(
    details: {
      url: string;
      refusal: H3Refusal;
      twice: boolean;
      bodyBytesRead: number;
      replayWindow: number;
    },
    options?: ErrorOptions,
  ) {
    const what = details.refusal === "too-early" ? "425 Too Early" : "H3_REQUEST_REJECTED";
    super(
      details.twice
        ? `HTTP/3 request to ${details.url} was refused twice (${what}); not sent a third time`
        : `Cannot resend the HTTP/3 request to ${details.url} after ${what}: ` +
          `${details.bodyBytesRead} bytes of its streamed body were read, and only the first ` +
          `${details.replayWindow} are kept (replayWindow); the request was not sent again`,
      options,
    );
    this.name = "H3RefusedError";
    this.url = details.url;
    this.refusal = details.refusal;
    this.twice = details.twice;
    this.bodyBytesRead = details.bodyBytesRead;
    this.replayWindow = details.replayWindow;
  }
}

/** A response and how its request travelled. */
export interface H3Result {
  /** The response, its body streaming. */
  response: Response;
  /** The request went out in 0-RTT early data. */
  earlyData: boolean;
  /** Whether the server took the 0-RTT data; null when it was not sent or not yet known. */
  earlyDataAccepted: boolean | null;
  /** The request was sent a second time (after 425 or GOAWAY). */
  retried: boolean;
  /** Resolves once the response is over: its body read to the end, failed or cancelled. */
  done: Promise<void>;
  /** Milliseconds spent getting a stream to send on: pool lookup or new connection, and any handshake wait. */
  connectMs: number;
}

/**
 * A request as its parts, for a caller that has them already (a proxy):
 * `send` makes no `Request`, `URL` or `Headers` of it.
 */
export interface H3Message {
  /** Where to send it, "https://host:port": connections are pooled by it, and it is `:authority`. */
  origin: string;
  /** The request method. */
  method: string;
  /** The path and query (`:path`). */
  target: string;
  /**
   * Regular fields: lowercase names, connection-specific ones already dropped
   * (`headerLines`); a host field is dropped for `:authority`.
   */
  fields: FieldLine[];
  /** The body, or null. Sent in 0-RTT only with a declared content-length within `replayWindow`. */
  body: ReadableStream<Uint8Array> | null;
}

/** A response as its parts, and how its request travelled: what `send` gives. */
export interface H3Reply extends Omit<H3Result, "response"> {
  /** The status code. */
  status: number;
  /** Regular fields, validated (RFC 9114 §4.2), cookies joined: `new Headers(fields)` takes them. */
  fields: FieldLine[];
  /** The declared content-length, or null. */
  contentLength: number | null;
  /** The body as a byte stream; null when the response has none. Use it or `bytes()`, once. */
  body(): ReadableStream<Uint8Array> | null;
  /** The whole body, read without a stream; null when the response has none. Use it or `body()`, once. */
  bytes(): Promise<Uint8Array | null>;
}

/** Idempotent methods (RFC 9110 §9.2.2): safe to send in 0-RTT under "idempotent". */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const NO_BODY_STATUS = new Set([204, 205, 304]);

interface Pooled {
  conn: QuicConn;
  /** The address dialed, as nonces name it. */
  target: string;
  session: H3Session;
  /** No new requests: GOAWAY arrived or the connection closed. */
  draining: boolean;
  /** Requests whose response is not over yet. */
  active: number;
}

/** After GOAWAY, close the connection once its last response is over (RFC 9114 §5.2). */
function settle(pooled: Pooled): void {
  if (pooled.draining && pooled.active === 0) {
    pooled.session.close(H3ErrorCode.H3_NO_ERROR, "done after GOAWAY");
  }
}

/** An HTTP/3 client with a connection pool. */
export class H3Client {
  #options: H3ClientOptions;
  #quic: QuicClient;
  #pool = new Map<string, Promise<Pooled>>();
  #sessions: SessionStore;

  /** Creates a client; it opens connections on demand. */
  constructor(options: H3ClientOptions) {
    this.#options = options;
    this.#quic = (options.engine ?? quicheEngine).createClient();
    this.#sessions = options.sessions ?? new Map();
  }

  /** Like `fetch`, over HTTP/3. */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return (await this.request(input, init)).response;
  }

  /**
   * Like `fetch`, and says whether the request used 0-RTT and was retried.
   * Throws `H3RefusedError` when the server refused the request and it could
   * not be sent again (see `H3ClientOptions.replayWindow`), and the body's own
   * error when reading the request body fails (the stream is then reset with
   * H3_REQUEST_CANCELLED). It resolves as soon as the response head arrives,
   * while the body may still be streaming; once the response is over (read
   * to its end or cancelled), a body still being sent is stopped, as the
   * server can make no use of it (RFC 9114 §4.1.2).
   *
   * @example Streaming an upload of unknown length
   * ```ts
   * const client = new H3Client({ ca });
   * const file = await Deno.open("big.bin");
   * const { response } = await client.request("https://localhost:8443/function/count", {
   *   method: "POST",
   *   body: file.readable, // sent as it is read, after the handshake
   * });
   * ```
   */
  async request(input: string | URL | Request, init?: RequestInit): Promise<H3Result> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "https:") {
      throw new TypeError(`Cannot send over HTTP/3: received a ${url.protocol} URL (https only)`);
    }
    const window = this.#options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    const fields = headerLines(request.headers);
    const declared = declaredLength(fields);
    const body = await outgoingBody(request, init, declared, window);
    const { body: stream, bytes: _, ...reply } = await this.#send(
      {
        origin: url.origin,
        method: request.method,
        target: `${url.pathname}${url.search}` || "/",
        fields,
      },
      body,
      declared,
    );
    return {
      ...reply,
      response: new Response(stream(), { status: reply.status, headers: reply.fields }),
    };
  }

  /**
   * Sends a request given as its parts, as `request` does (0-RTT, nonces,
   * retries after 425 or GOAWAY, the same errors), without the Fetch objects
   * a proxy would otherwise build, copy and take apart again for every request.
   */
  async send(message: H3Message): Promise<H3Reply> {
    const window = this.#options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    const declared = declaredLength(message.fields);
    const body = message.body === null ? null : await streamedBody(message.body, declared, window);
    return await this.#send(message, body, declared);
  }

  async #send(
    message: Omit<H3Message, "body">,
    body: ReplayableBody | null,
    declared: number | null,
  ): Promise<H3Reply> {
    const policy = this.#options.earlyData ?? "all";
    const mayBeEarly = policy === "all" ||
      (policy === "idempotent" && IDEMPOTENT.has(message.method));
    const window = this.#options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    const known = body === null ? 0 : body.length ?? declared;
    const send = { body, declared, sendEarly: mayBeEarly && known !== null && known <= window };
    try {
      const first = await this.#attempt(message, send, mayBeEarly);
      if (first.retry === null) return first.result;
      if (body !== null && !body.replayable) {
        throw this.#refused(message, first.retry, false, body, window);
      }
      const second = await this.#attempt(message, { ...send, sendEarly: false }, mayBeEarly);
      if (second.retry !== null) throw this.#refused(message, second.retry, true, body, window);
      return { ...second.result, retried: true };
    } catch (error) {
      body?.cancel(error);
      throw error;
    }
  }

  /**
   * Drops the pooled connection to `origin`, if any, closing it: its server
   * is gone (a replica removed), so the next request opens a new one rather
   * than wait on a connection nobody answers. Requests on it fail.
   */
  forget(origin: string): void {
    const existing = this.#pool.get(origin);
    if (!existing) return;
    this.#pool.delete(origin);
    existing.then(
      (pooled) => pooled.conn.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "server gone" }),
      () => {}, // it never opened: nothing to close (its requests saw why)
    );
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const pooled = await Promise.allSettled([...this.#pool.values()]);
    for (const entry of pooled) {
      if (entry.status === "fulfilled") entry.value.session.close(H3ErrorCode.H3_NO_ERROR);
    }
    this.#pool.clear();
    await this.#quic.close();
  }

  #refused(
    message: Omit<H3Message, "body">,
    refusal: H3Refusal,
    twice: boolean,
    body: ReplayableBody | null,
    window: number,
  ): H3RefusedError {
    return new H3RefusedError({
      url: `${message.origin}${message.target}`,
      refusal,
      twice,
      bodyBytesRead: body?.bytesRead ?? 0,
      replayWindow: window,
    });
  }

  async #attempt(
    message: Omit<H3Message, "body">,
    send: Outgoing,
    mayBeEarly: boolean,
  ): Promise<Attempt> {
    const started = performance.now();
    const pooled = await this.#connection(message.origin, mayBeEarly);
    pooled.active++;
    let finished = false;
    const done = Promise.withResolvers<void>();
    const finish = () => {
      if (finished) return;
      finished = true;
      pooled.active--;
      settle(pooled);
      done.resolve();
    };
    try {
      return await this.#exchange(pooled, message, send, finish, done.promise, started);
    } catch (error) {
      finish();
      throw error;
    }
  }

  async #exchange(
    pooled: Pooled,
    message: Omit<H3Message, "body">,
    send: Outgoing,
    finish: () => void,
    done: Promise<void>,
    started: number,
  ): Promise<Attempt> {
    if (!send.sendEarly || !pooled.conn.earlyData) await pooled.conn.handshake;
    const stream = await pooled.conn.createBidirectionalStream();
    const connectMs = performance.now() - started;
    const early = stream.earlyData;
    const reset = streamReset(stream);
    const lines = requestSection(
      message.method,
      "https",
      message.origin.slice(ORIGIN_PREFIX.length),
      message.target,
      message.fields,
    );
    const length = send.body?.length ?? null;
    if (length !== null && send.declared === null) lines.push(["content-length", String(length)]);
    if (early && this.#options.nonces !== false && !hasField(message.fields, NONCE_HEADER)) {
      lines.push([
        NONCE_HEADER,
        newNonce(Date.now(), this.#options.bindNonces ? pooled.target : undefined),
      ]);
    }
    const sender = sendRequest(
      stream,
      encodeHeadersFrame(lines),
      send.body?.cursor() ?? null,
      length ?? send.declared,
    );
    /** Stops this attempt's sending, leaving the body to a retry. */
    const abandon = () => {
      sender.stop();
      stream.reset(H3ErrorCode.H3_REQUEST_CANCELLED);
    };
    /** The request is answered or failed: a send that failed on the stream stops the body too. */
    const settled = () => sender.sent.catch((error) => send.body?.cancel(error));
    /**
     * The response is over: the server can make no use of more body, so stop
     * sending it. (quiche may also forget a stream whose response was read
     * and whose sending the peer stopped, leaving a blocked write waiting.)
     */
    const over = () => {
      if (!sender.finished) {
        sender.stop();
        stream.reset(H3ErrorCode.H3_NO_ERROR);
        send.body?.cancel(new Error("the response ended before the request body was sent"));
      }
      finish();
    };
    const parser = new MessageReader("response", {
      maxFieldSectionSize: pooled.session.maxFieldSectionSize,
      maxFrameSize: Math.max(64 * 1024, 2 * pooled.session.maxFieldSectionSize),
    });
    const source = eventSource(stream, parser);
    let head: ResponseHead;
    let pending: MessageEvent[];
    try {
      ({ head, pending } = await Promise.race([
        readHead(
          source,
          (lines) => {
            const parsed = parseResponseHead(lines);
            return parsed.status >= 200 ? parsed : null; // 1xx are interim
          },
          () => new H3Error(H3ErrorCode.H3_FRAME_ERROR, "stream", "response without headers"),
        ),
        sender.bodyFailed,
      ]));
    } catch (error) {
      if (isRejected(error)) {
        abandon();
        finish();
        return { retry: "rejected", result: undefined as never };
      }
      if (!(error instanceof BodySourceError)) {
        pooled.session.fail(error, reset);
        settled();
        throw error;
      }
      // The caller's body failed: the stream is reset already; give its error back.
      source.cancel(H3ErrorCode.H3_REQUEST_CANCELLED);
      throw error.cause;
    }
    const accepted = early ? pooled.conn.earlyDataAccepted : null;
    if (head.status === 425 && early) {
      // RFC 8470 §5.2: retry after the handshake, which completes the 0-RTT question.
      source.cancel(H3ErrorCode.H3_NO_ERROR);
      abandon();
      finish();
      await pooled.conn.handshake;
      return { retry: "too-early", result: undefined as never };
    }
    settled();
    const hasBody = message.method !== "HEAD" && !NO_BODY_STATUS.has(head.status);
    if (!hasBody) {
      source.cancel(H3ErrorCode.H3_NO_ERROR);
      over();
    }
    const bodyOptions = {
      contentLength: head.contentLength,
      maxSize: this.#options.maxBodySize ?? 2 ** 30,
      onError: (error: unknown) => {
        if (error instanceof H3Error && error.scope === "connection") {
          pooled.session.fail(error);
        }
      },
      onEnd: over,
    };
    return {
      retry: null,
      result: {
        status: head.status,
        fields: head.fields,
        contentLength: head.contentLength,
        body: () => hasBody ? bodyStream(source, pending, bodyOptions) : null,
        bytes: () => hasBody ? readBody(source, pending, bodyOptions) : Promise.resolve(null),
        earlyData: early,
        earlyDataAccepted: accepted,
        retried: false,
        done,
        connectMs,
      },
    };
  }

  /** A pooled connection to `url`'s origin, opening one (with a stored session) if needed. */
  #connection(origin: string, mayBeEarly: boolean): Promise<Pooled> {
    if (this.#options.pool === false) return this.#openOnce(origin, mayBeEarly);
    const existing = this.#pool.get(origin);
    if (existing) {
      return existing.then((pooled) => {
        if (!pooled.draining) return pooled;
        if (this.#pool.get(origin) === existing) this.#pool.delete(origin);
        return this.#connection(origin, mayBeEarly);
      });
    }
    const opening = this.#open(origin, mayBeEarly);
    this.#pool.set(origin, opening);
    opening.catch(() => this.#pool.get(origin) === opening && this.#pool.delete(origin));
    return opening;
  }

  /** A connection for one request: closed once its response is over (the paper's non-continuous pattern). */
  async #openOnce(origin: string, mayBeEarly: boolean): Promise<Pooled> {
    const pooled = await this.#open(origin, mayBeEarly);
    pooled.draining = true; // no second request; settle() closes it when the first is done
    return pooled;
  }

  async #open(origin: string, mayBeEarly: boolean): Promise<Pooled> {
    const url = new URL(origin);
    const target = this.#options.resolve?.(url) ??
      { hostname: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
    const conn = await this.#quic.connect({
      hostname: target.hostname,
      port: target.port,
      serverName: target.serverName ?? url.hostname.replace(/^\[|\]$/g, ""),
      tls: { ca: this.#options.ca, identity: this.#options.identity },
      alpn: ["h3"],
      limits: this.#options.limits,
      session: mayBeEarly ? this.#sessions.get(origin) : undefined,
      onSession: (session) => this.#sessions.set(origin, session),
    });
    const timeoutMs = this.#options.handshakeTimeoutMs;
    if (timeoutMs !== undefined && !conn.established) {
      const timer = setTimeout(() => {
        conn.close({
          code: H3ErrorCode.H3_NO_ERROR,
          reason: `no handshake within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      conn.handshake.then(() => clearTimeout(timer), () => clearTimeout(timer));
    }
    const pooled: Pooled = {
      conn,
      target: nonceTarget(target.hostname, target.port),
      session: new H3Session(conn, "client", this.#options),
      draining: false,
      active: 0,
    };
    pooled.session.onGoaway(() => {
      pooled.draining = true;
      settle(pooled);
    });
    conn.closed.then(() => {
      pooled.draining = true;
    });
    return pooled;
  }
}

/** What an attempt sends: the body (shared by attempts) and whether it may go in 0-RTT. */
interface Outgoing {
  body: ReplayableBody | null;
  /** The content-length the caller declared, or null. */
  declared: number | null;
  sendEarly: boolean;
}

/** An attempt's outcome: a response, or the refusal that calls for another attempt. */
type Attempt = { retry: null; result: H3Reply } | { retry: H3Refusal; result: never };

/**
 * The request body as the client sends it: held whole when it is in memory
 * (an in-memory `init.body`, or a stream that ends without waiting for I/O)
 * or declared no longer than the window (read whole first), else streamed
 * with a replay window.
 */
async function outgoingBody(
  request: Request,
  init: RequestInit | undefined,
  declared: number | null,
  window: number,
): Promise<ReplayableBody | null> {
  if (request.body === null) return null;
  const given = init?.body;
  if (given !== undefined && given !== null && !(given instanceof ReadableStream)) {
    // A string, bytes, Blob, FormData or URLSearchParams: in memory already.
    return ReplayableBody.held(new Uint8Array(await request.arrayBuffer()));
  }
  // A stream (or a Request's body, which may be either).
  return await streamedBody(request.body, declared, window);
}

/**
 * A streamed body with a replay window, holding what the stream has already;
 * a small one of declared length is on its way: wait for it, to send it whole.
 */
async function streamedBody(
  stream: ReadableStream<Uint8Array>,
  declared: number | null,
  window: number,
): Promise<ReplayableBody> {
  const body = ReplayableBody.streamed(stream, window);
  await body.settle(declared !== null && declared <= window);
  return body;
}

const ORIGIN_PREFIX = "https://";

/** Is there a field named `name` (lowercase)? */
function hasField(fields: readonly FieldLine[], name: string): boolean {
  for (const line of fields) if (line[0] === name) return true;
  return false;
}

/** The content-length the caller declared, or null. */
function declaredLength(fields: readonly FieldLine[]): number | null {
  for (const [name, value] of fields) {
    if (name === "content-length") return /^\d{1,15}$/.test(value) ? Number(value) : null;
  }
  return null;
}

/** The caller's request body failed while being sent (its error is the cause). */
class BodySourceError extends Error {
  constructor(cause: unknown) {
    super("the request body failed", { cause });
    this.name = "BodySourceError";
  }
}

/** A request being sent on a stream. */
interface Sender {
  /** Settles when the request is sent (FIN), stopped, or failed (stream or body). */
  sent: Promise<void>;
  /** Rejects with `BodySourceError` if reading the body fails; else never settles. */
  bodyFailed: Promise<never>;
  /** Stops after the chunk in hand; the body is left as it is, for another attempt. */
  stop(): void;
  /** True once sending ended: sent, stopped or failed. */
  readonly finished: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * Sends the header section, then the body chunk by chunk as DATA frames, each
 * read only after QUIC took the one before (backpressure), then the FIN. A
 * body that fails resets the stream (H3_REQUEST_CANCELLED). With a known
 * `length`, the headers wait for the first chunk and the FIN goes with the
 * chunk that completes it, so a small body leaves in one packet: a FIN alone
 * in a later frame costs a packet, and quiche 0.18 may never retransmit it.
 */
function sendRequest(
  stream: QuicStreamLike,
  headers: Uint8Array,
  cursor: BodyCursor | null,
  length: number | null,
): Sender {
  let stopped = false;
  const bodyFailed = Promise.withResolvers<never>();
  bodyFailed.promise.catch(() => {});
  let sent = 0;
  const sending = (async () => {
    if (cursor === null || cursor.atEnd || length === 0) return await stream.write(headers, true);
    // A body of declared length is on its way: its first chunk and the headers then
    // leave together. One of unknown length may wait on the response: headers first.
    let unsent: Uint8Array | null = headers;
    if (length === null) {
      await stream.write(headers);
      unsent = null;
    }
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await cursor.next();
      } catch (error) {
        if (stopped) return;
        stream.reset(H3ErrorCode.H3_REQUEST_CANCELLED);
        const failure = new BodySourceError(error);
        bodyFailed.reject(failure);
        throw failure;
      }
      if (stopped) return;
      if (unsent !== null) {
        await stream.write(unsent); // queued only: it goes out with the chunk on the next flush
        unsent = null;
      }
      if (chunk === null) return await stream.write(EMPTY, true);
      sent += chunk.byteLength;
      const last = cursor.atEnd || sent === length;
      await writeData(stream, chunk, last);
      if (!last) continue;
      // Read the source to its end, so that whoever feeds it sees it finish.
      if (!cursor.atEnd) await cursor.next().catch(() => {});
      return;
    }
  })();
  let finished = false;
  sending.finally(() => (finished = true)).catch(() => {});
  return {
    sent: sending,
    bodyFailed: bodyFailed.promise,
    stop: () => (stopped = true),
    get finished() {
      return finished;
    },
  };
}

/** Did the server refuse the request before processing it (RFC 9114 §5.2, §8.1)? */
function isRejected(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error &&
    (error as QuicStreamError).code === H3ErrorCode.H3_REQUEST_REJECTED;
}
