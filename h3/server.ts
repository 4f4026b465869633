/**
 * The HTTP/3 server (RFC 9114): `serveH3(listener, handler)` answers requests
 * with a `(request, info) => Response` handler, the shape of `Deno.serve`.
 * Bodies stream both ways: a request body is read from QUIC only as fast as
 * the handler reads it, so its size costs no memory here beyond the stream's
 * flow-control window. Malformed input resets the stream or closes the
 * connection with the RFC error code while other connections carry on.
 *
 * @module
 */
import {
  type QuicAddr,
  type QuicConn,
  type QuicListener,
  QuicStreamError,
  type QuicStreamLike,
} from "../quic/mod.ts";
import { bodyStream, eventSource, readHead, writeBody, writeData } from "./body.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import { parseRequestHead, type RequestHead, responseLines } from "./message.ts";
import { type MessageEvent, MessageReader } from "./message_reader.ts";
import { encodeHeadersFrame, FieldSectionTooLarge } from "./qpack.ts";
import { H3Session, type H3SessionOptions, type StreamReset, streamReset } from "./session.ts";
import { settleBody } from "./settled_body.ts";

/** Response bodies up to this size that are complete when returned go out with a length. */
const SETTLE_MAX_BYTES = 64 * 1024;

/** What the handler learns about a request beyond the request itself. */
export interface H3RequestInfo {
  /** The client's UDP address. */
  remoteAddr: QuicAddr;
  /** True when the request's first bytes arrived as 0-RTT early data (replayable). */
  earlyData: boolean;
  /** The QUIC stream carrying the request. */
  streamId: number;
}

/** Answers one request. */
export type H3Handler = (request: Request, info: H3RequestInfo) => Response | Promise<Response>;

/** Server options; every limit has a default. */
export interface H3ServerOptions extends H3SessionOptions {
  /**
   * Largest request body accepted, in bytes; larger ones get 413 with a JSON
   * error (at once when content-length declares it, else when the body grows
   * past it). `Infinity` leaves the limit to the handler. Default 16 MiB.
   */
  maxBodySize?: number;
  /** After GOAWAY and the last response, how long to wait for clients to close. Default 2000 ms. */
  shutdownGraceMs?: number;
  /** Told of every error a request ended with (for logs); quiet by default. */
  onError?: (error: unknown, info: { streamId?: number; remoteAddr: QuicAddr }) => void;
}

/** Counters a server keeps, for metrics and tests. */
export interface H3ServerCounters {
  /** Connections accepted. */
  connections: number;
  /** Requests started (streams with a header section or an attempt at one). */
  requests: number;
  /** Protocol errors by HTTP/3 error code, over all connections. */
  errors: Map<number, number>;
}

/** A running HTTP/3 server. */
export interface H3Server {
  /** Live counters. */
  readonly counters: H3ServerCounters;
  /** GOAWAY to every connection, let in-flight requests finish, then close everything. */
  shutdown(): Promise<void>;
  /** Resolves when the listener has closed. */
  readonly finished: Promise<void>;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const NO_BODY_STATUS = new Set([204, 205, 304]);

/** The answer to a body over `maxBodySize`: 413 with a JSON error. */
function tooLarge(maxBody: number): Response {
  return Response.json({ error: `request body exceeds ${maxBody} bytes` }, { status: 413 });
}

/** Serves HTTP/3 on a QUIC listener whose ALPN includes "h3". */
export function serveH3(
  listener: QuicListener,
  handler: H3Handler,
  options: H3ServerOptions = {},
): H3Server {
  const counters: H3ServerCounters = { connections: 0, requests: 0, errors: new Map() };
  const connections = new Set<ServerConnection>();
  const finished = (async () => {
    for await (const conn of listener) {
      const connection = new ServerConnection(conn, handler, options, counters);
      connections.add(connection);
      counters.connections++;
      conn.closed.then(() => connections.delete(connection));
    }
  })();
  return {
    counters,
    finished,
    async shutdown() {
      await Promise.all([...connections].map((c) => c.shutdown()));
      await listener.close();
      await finished;
    },
  };
}

/** One client connection: its session, its requests, and its graceful shutdown. */
class ServerConnection {
  #session: H3Session;
  #handler: H3Handler;
  #options: H3ServerOptions;
  #counters: H3ServerCounters;
  #inFlight = new Set<Promise<void>>();
  #nextId = 0;
  #goaway: number | null = null;

  constructor(
    conn: QuicConn,
    handler: H3Handler,
    options: H3ServerOptions,
    counters: H3ServerCounters,
  ) {
    this.#session = new H3Session(conn, "server", options);
    this.#handler = handler;
    this.#options = options;
    this.#counters = counters;
    this.#accept(conn).catch((error) => this.#session.fail(error));
  }

  async shutdown(): Promise<void> {
    // RFC 9114 §5.2: the GOAWAY id is the first request stream we will not process.
    this.#goaway = this.#nextId;
    await this.#session.goaway(this.#goaway).catch(() => {});
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    // Answers may still be in flight: give the client a moment to read them and
    // close the connection itself, as GOAWAY invites it to.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise((
      resolve,
    ) => (timer = setTimeout(resolve, this.#options.shutdownGraceMs ?? 2000)));
    await Promise.race([this.#session.conn.closing, grace]);
    clearTimeout(timer);
    this.#session.close(H3ErrorCode.H3_NO_ERROR, "server shutting down");
  }

  async #accept(conn: QuicConn): Promise<void> {
    for await (const stream of conn.incomingBidirectionalStreams) {
      if (this.#goaway !== null && stream.id >= this.#goaway) {
        // Not processed: the client may retry it elsewhere (RFC 9114 §5.2).
        this.#reject(stream, H3ErrorCode.H3_REQUEST_REJECTED);
        continue;
      }
      this.#nextId = Math.max(this.#nextId, stream.id + 4);
      const request = this.#serve(conn, stream);
      this.#inFlight.add(request);
      request.finally(() => this.#inFlight.delete(request));
    }
  }

  #reject(stream: QuicStreamLike, code: number): void {
    stream.readable?.cancel({ code }).catch(() => {});
    stream.writable?.abort({ code }).catch(() => {});
    this.#count(code);
  }

  #count(code: number): void {
    this.#counters.errors.set(code, (this.#counters.errors.get(code) ?? 0) + 1);
  }

  #report(error: unknown, stream: QuicStreamLike): void {
    // Our protocol errors by their code; the peer's resets and STOP_SENDINGs by theirs.
    if (error instanceof H3Error || error instanceof QuicStreamError) this.#count(error.code);
    this.#options.onError?.(error, { streamId: stream.id, remoteAddr: this.#session.conn.remote });
  }

  /**
   * Ends a request that went wrong. A protocol error resets the stream or
   * closes the connection, per its scope; the peer abandoning the stream
   * (RESET_STREAM, STOP_SENDING) or the connection ending just ends the request.
   */
  #end(error: unknown, stream: QuicStreamLike, reset: StreamReset): void {
    this.#report(error, stream);
    if (error instanceof H3Error) this.#session.fail(error, reset);
    else reset.reset(H3ErrorCode.H3_REQUEST_CANCELLED);
  }

  async #serve(conn: QuicConn, stream: QuicStreamLike): Promise<void> {
    this.#counters.requests++;
    const parser = new MessageReader("request", {
      maxFieldSectionSize: this.#session.maxFieldSectionSize,
      maxFrameSize: Math.max(64 * 1024, 2 * this.#session.maxFieldSectionSize),
    });
    const source = eventSource(stream, parser);
    const reset = streamReset(stream);
    let head: RequestHead;
    let pending: MessageEvent[];
    try {
      ({ head, pending } = await readHead(
        source,
        parseRequestHead,
        () =>
          new H3Error(
            H3ErrorCode.H3_REQUEST_INCOMPLETE,
            "stream",
            "the stream ended before the request headers",
          ),
      ));
    } catch (error) {
      if (error instanceof FieldSectionTooLarge) {
        // RFC 9114 §4.2.2: a server can answer 431 to a header section it will not process.
        this.#report(error, stream);
        source.cancel(H3ErrorCode.H3_NO_ERROR);
        return this.#respond(stream, "GET", new Response(null, { status: 431 })).catch(() => {});
      }
      return this.#end(error, stream, reset);
    }
    const maxBody = this.#options.maxBodySize ?? DEFAULT_MAX_BODY;
    if (head.contentLength !== null && head.contentLength > maxBody) {
      source.cancel(H3ErrorCode.H3_NO_ERROR);
      return this.#respond(stream, head.method, tooLarge(maxBody));
    }
    let protocolError: unknown = null;
    const hasBody = head.method !== "GET" && head.method !== "HEAD";
    const body = hasBody
      ? bodyStream(source, pending, {
        contentLength: head.contentLength,
        maxSize: maxBody,
        onError: (error) => (protocolError = error),
      })
      : null;
    const request = new Request(`${head.scheme}://${head.authority}${head.path}`, {
      method: head.method,
      headers: head.fields,
      body,
      // @ts-ignore: duplex is required for streaming request bodies (Fetch, not yet in lib.dom).
      duplex: "half",
    });
    let response: Response;
    try {
      response = await this.#handler(request, {
        remoteAddr: conn.remote,
        earlyData: stream.earlyData,
        streamId: stream.id,
      });
    } catch (error) {
      if (!protocolError) {
        this.#options.onError?.(error, { streamId: stream.id, remoteAddr: conn.remote });
      }
      response = new Response("Internal Server Error\n", { status: 500 });
    }
    if (protocolError) {
      // The request itself was bad (its body broke a rule): that decides, whatever the handler did.
      await response.body?.cancel().catch(() => {});
      if (
        protocolError instanceof H3Error && protocolError.code === H3ErrorCode.H3_EXCESSIVE_LOAD
      ) {
        this.#report(protocolError, stream);
        return this.#respond(stream, head.method, tooLarge(maxBody)).catch(() => {});
      }
      return this.#end(protocolError, stream, reset);
    }
    if (!hasBody) source.cancel(H3ErrorCode.H3_NO_ERROR);
    const answered = await this.#respond(stream, head.method, response).then(
      () => true,
      async (error) => {
        // Typically the client stopped reading (STOP_SENDING): stop producing the body too.
        await response.body?.cancel().catch(() => {});
        this.#end(error, stream, reset);
        return false;
      },
    );
    // Answered without reading the body (an early 4xx, say): the client need not
    // send the rest (RFC 9114 §4.1.2). A body someone still reads is left to them.
    if (answered && request.body !== null && !request.body.locked) {
      await request.body.cancel().catch(() => {});
    }
  }

  async #respond(stream: QuicStreamLike, method: string, response: Response): Promise<void> {
    const lines = responseLines(response.status, response.headers);
    if (response.body && method !== "HEAD" && !NO_BODY_STATUS.has(response.status)) {
      const body = await settleBody(response.body, SETTLE_MAX_BYTES);
      if ("bytes" in body) {
        // Complete already: say its length, and send headers, data and FIN in one flight.
        if (!response.headers.has("content-length")) {
          lines.push(["content-length", String(body.bytes.byteLength)]);
        }
        await stream.write(encodeHeadersFrame(lines));
        await writeData(stream, body.bytes, true);
        return;
      }
      await stream.write(encodeHeadersFrame(lines));
      await writeBody(stream, body.stream);
      await stream.write(new Uint8Array(0), true);
    } else {
      const headers = encodeHeadersFrame(lines);
      await response.body?.cancel();
      await stream.write(headers, true);
    }
  }
}
