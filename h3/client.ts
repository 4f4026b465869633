/**
 * The HTTP/3 client: `fetch`-like requests over a pool of connections keyed
 * by origin, 0-RTT with remembered (or pre-seeded) sessions, and one retry
 * for a request the server refused before processing it: 425 Too Early
 * (RFC 8470) or H3_REQUEST_REJECTED after GOAWAY (RFC 9114 §5.2).
 *
 * @module
 */
import { quicheEngine } from "../quic/mod.ts";
import type { QuicClient, QuicConn, QuicEngine, QuicLimits, QuicStreamError } from "../quic/mod.ts";
import { bodyStream, eventSource, readHead, writeData } from "./body.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import { encodeFrame, FrameType } from "./frames.ts";
import { parseResponseHead, requestLines, type ResponseHead } from "./message.ts";
import { type MessageEvent, MessageReader } from "./message_reader.ts";
import { encodeFieldSection } from "./qpack.ts";
import { NONCE_HEADER } from "./replay_guard.ts";
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

/** Idempotent methods (RFC 9110 §9.2.2): safe to send in 0-RTT under "idempotent". */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const NO_BODY_STATUS = new Set([204, 205, 304]);

interface Pooled {
  conn: QuicConn;
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

  /** Like `fetch`, and says whether the request used 0-RTT and was retried. */
  async request(input: string | URL | Request, init?: RequestInit): Promise<H3Result> {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "https:") {
      throw new TypeError(`Cannot send over HTTP/3: received a ${url.protocol} URL (https only)`);
    }
    const policy = this.#options.earlyData ?? "all";
    const mayBeEarly = policy === "all" ||
      (policy === "idempotent" && IDEMPOTENT.has(request.method));
    // A request that may be refused and replayed needs its body twice.
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
    const first = await this.#attempt(request, url, body, mayBeEarly);
    if (first.retry) {
      const second = await this.#attempt(request, url, body, false);
      if (second.retry) throw new Error(`HTTP/3 request to ${url.origin} was refused twice`);
      return { ...second.result, retried: true };
    }
    return first.result;
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

  async #attempt(
    request: Request,
    url: URL,
    body: Uint8Array | null,
    mayBeEarly: boolean,
  ): Promise<{ retry: boolean; result: H3Result }> {
    const started = performance.now();
    const pooled = await this.#connection(url, mayBeEarly);
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
      return await this.#exchange(
        pooled,
        request,
        url,
        body,
        mayBeEarly,
        finish,
        done.promise,
        started,
      );
    } catch (error) {
      finish();
      throw error;
    }
  }

  async #exchange(
    pooled: Pooled,
    request: Request,
    url: URL,
    body: Uint8Array | null,
    mayBeEarly: boolean,
    finish: () => void,
    done: Promise<void>,
    started: number,
  ): Promise<{ retry: boolean; result: H3Result }> {
    if (!mayBeEarly || !pooled.conn.earlyData) await pooled.conn.handshake;
    const stream = await pooled.conn.createBidirectionalStream();
    const connectMs = performance.now() - started;
    const early = stream.earlyData;
    const reset = streamReset(stream);
    const sending = (async () => {
      const lines = requestLines(request.method, url, withLength(request.headers, body));
      if (early && this.#options.nonces !== false && !request.headers.has(NONCE_HEADER)) {
        lines.push([NONCE_HEADER, crypto.randomUUID().replaceAll("-", "")]);
      }
      const headers = encodeFrame(FrameType.HEADERS, encodeFieldSection(lines));
      if (body) {
        await stream.write(headers);
        await writeData(stream, body, true);
      } else {
        await stream.write(headers, true);
      }
    })();
    sending.catch(() => {});
    const parser = new MessageReader("response", {
      maxFieldSectionSize: pooled.session.maxFieldSectionSize,
      maxFrameSize: Math.max(64 * 1024, 2 * pooled.session.maxFieldSectionSize),
    });
    const source = eventSource(stream, parser);
    let head: ResponseHead;
    let pending: MessageEvent[];
    try {
      ({ head, pending } = await readHead(
        source,
        (lines) => {
          const parsed = parseResponseHead(lines);
          return parsed.status >= 200 ? parsed : null; // 1xx are interim
        },
        () => new H3Error(H3ErrorCode.H3_FRAME_ERROR, "stream", "response without headers"),
      ));
    } catch (error) {
      if (isRejected(error)) {
        finish();
        return { retry: true, result: undefined as never };
      }
      pooled.session.fail(error, reset);
      throw error;
    }
    const accepted = early ? pooled.conn.earlyDataAccepted : null;
    if (head.status === 425 && early) {
      // RFC 8470 §5.2: retry after the handshake, which completes the 0-RTT question.
      source.cancel(H3ErrorCode.H3_NO_ERROR);
      finish();
      await pooled.conn.handshake;
      return { retry: true, result: undefined as never };
    }
    const hasBody = request.method !== "HEAD" && !NO_BODY_STATUS.has(head.status);
    if (!hasBody) {
      source.cancel(H3ErrorCode.H3_NO_ERROR);
      finish();
    }
    const response = new Response(
      hasBody
        ? bodyStream(source, pending, {
          contentLength: head.contentLength,
          maxSize: this.#options.maxBodySize ?? 2 ** 30,
          onError: (error) => {
            if (error instanceof H3Error && error.scope === "connection") {
              pooled.session.fail(error);
            }
          },
          onEnd: finish,
        })
        : null,
      { status: head.status, headers: head.headers },
    );
    return {
      retry: false,
      result: {
        response,
        earlyData: early,
        earlyDataAccepted: accepted,
        retried: false,
        done,
        connectMs,
      },
    };
  }

  /** A pooled connection to `url`'s origin, opening one (with a stored session) if needed. */
  #connection(url: URL, mayBeEarly: boolean): Promise<Pooled> {
    if (this.#options.pool === false) return this.#openOnce(url, mayBeEarly);
    const origin = url.origin;
    const existing = this.#pool.get(origin);
    if (existing) {
      return existing.then((pooled) => {
        if (!pooled.draining) return pooled;
        if (this.#pool.get(origin) === existing) this.#pool.delete(origin);
        return this.#connection(url, mayBeEarly);
      });
    }
    const opening = this.#open(url, mayBeEarly);
    this.#pool.set(origin, opening);
    opening.catch(() => this.#pool.get(origin) === opening && this.#pool.delete(origin));
    return opening;
  }

  /** A connection for one request: closed once its response is over (the paper's non-continuous pattern). */
  async #openOnce(url: URL, mayBeEarly: boolean): Promise<Pooled> {
    const pooled = await this.#open(url, mayBeEarly);
    pooled.draining = true; // no second request; settle() closes it when the first is done
    return pooled;
  }

  async #open(url: URL, mayBeEarly: boolean): Promise<Pooled> {
    const origin = url.origin;
    const target = this.#options.resolve?.(url) ??
      { hostname: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
    const conn = await this.#quic.connect({
      hostname: target.hostname,
      port: target.port,
      serverName: target.serverName ?? url.hostname.replace(/^\[|\]$/g, ""),
      tls: { ca: this.#options.ca },
      alpn: ["h3"],
      limits: this.#options.limits,
      session: mayBeEarly ? this.#sessions.get(origin) : undefined,
      onSession: (session) => this.#sessions.set(origin, session),
    });
    const pooled: Pooled = {
      conn,
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

/** The request headers, with content-length set when the body's length is known. */
function withLength(headers: Headers, body: Uint8Array | null): Headers {
  if (body === null || headers.has("content-length")) return headers;
  const copy = new Headers(headers);
  copy.set("content-length", String(body.byteLength));
  return copy;
}

/** Did the server refuse the request before processing it (RFC 9114 §5.2, §8.1)? */
function isRejected(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error &&
    (error as QuicStreamError).code === H3ErrorCode.H3_REQUEST_REJECTED;
}
