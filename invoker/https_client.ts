/**
 * The invoker's client for tls workers: HTTPS through `node:https`, with
 * Nagle's algorithm off (and the TLS version held where asked: the round-trip
 * bench's TLS 1.2 rows, bench/paper/tls_round_trips.ts).
 *
 * Not `fetch`: Deno's fetch leaves TCP_NODELAY unset on its connections. After
 * a TLS 1.3 handshake the client's Finished and the request are two small
 * writes, and the request waits until the Finished is acknowledged: one round
 * trip more on every new connection, so TLS 1.3 cost what TLS 1.2 does (at
 * 20 ms RTT, 86.8 ms for a request on a new connection, against 68.1 ms from
 * this client; docs/results/tls-round-trips.md). Go's clients, the paper's
 * baseline, set no-delay by default. The price is CPU: 0.3–1 ms more than
 * fetch per new connection here, ~0.1 ms on a kept one (same file). tls12
 * workers keep fetch, whose TLS 1.2 handshake loses no round trip.
 *
 * @module
 */
import { Agent, request as httpsRequest } from "node:https";
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { isIP, type Socket } from "node:net";
import { type ConnectionOptions, createSecureContext } from "node:tls";
import { type FieldLine, isForwardable } from "../h3/mod.ts";
import type { Invocation } from "./invocation.ts";

/** Who the client is and which TLS versions it speaks. */
export interface HttpsClientOptions {
  /** The CA workers' certificates chain to (PEM). */
  ca: string;
  /** The invoker's certificate (PEM), presented to workers. */
  cert: string;
  /** Its private key (PEM). */
  key: string;
  /** The highest TLS version to offer: "TLSv1.2" for the tls12 baseline. */
  maxVersion: "TLSv1.2" | "TLSv1.3";
  /** Keep connections for later requests (else one connection per request). */
  keepAlive: boolean;
}

/** Where a worker listens. */
export interface HttpsTarget {
  /** Address to connect to. */
  host: string;
  /** Port. */
  port: number;
  /** The name its certificate is checked against (and sent as SNI when not an address). */
  servername: string;
}

/**
 * A worker's answer over HTTP/1.1 (this client's, or fetch's: `answerOfResponse`):
 * status, fields and the body still to read.
 */
export interface WorkerAnswer {
  /** Status code. */
  status: number;
  /** Reason phrase. */
  statusText: string;
  /** Header fields, lowercase names, in order, without connection-specific ones (`isForwardable`). */
  fields: FieldLine[];
  /** The declared content-length, if any. */
  contentLength: number | null;
  /** Whether the answer has a body at all (not HEAD, not 204 or 304). */
  hasBody: boolean;
  /** Reads the whole body. */
  bytes(): Promise<Uint8Array>;
  /** The body as a stream. */
  stream(): ReadableStream<Uint8Array>;
}

/** Header fields as node:http takes them: repeated names as a list. */
function outgoing(fields: readonly FieldLine[]): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    const seen = headers[name];
    headers[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return headers;
}

/** A fetch `Response` from a tcp or tls12 worker as a `WorkerAnswer`, its fields as `answerOf`'s. */
export function answerOfResponse(response: Response): WorkerAnswer {
  const length = response.headers.get("content-length");
  const body = response.body;
  return {
    status: response.status,
    statusText: response.statusText,
    fields: [...response.headers].filter(([name, value]) => isForwardable(name, value)),
    contentLength: length === null ? null : Number(length),
    hasBody: body !== null,
    bytes: () => response.bytes(),
    stream: () => body!,
  };
}

function answerOf(response: IncomingMessage, method: string): WorkerAnswer {
  const raw = response.rawHeaders;
  const fields: FieldLine[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    // This connection's own fields stay here: a `connection: close` passed on would close the
    // end user's kept connection to the gateway.
    if (isForwardable(name, raw[i + 1])) fields.push([name, raw[i + 1]]);
  }
  const length = response.headers["content-length"];
  const status = response.statusCode ?? 502;
  return {
    status,
    statusText: response.statusMessage ?? "",
    fields,
    contentLength: length === undefined ? null : Number(length),
    hasBody: method !== "HEAD" && status !== 204 && status !== 304,
    bytes: () =>
      new Promise((resolve, reject) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        response.on("data", (chunk: Uint8Array) => {
          chunks.push(chunk);
          size += chunk.byteLength;
        });
        response.once("end", () => {
          if (chunks.length === 1) return resolve(new Uint8Array(chunks[0]));
          const whole = new Uint8Array(size);
          let at = 0;
          for (const chunk of chunks) {
            whole.set(chunk, at);
            at += chunk.byteLength;
          }
          resolve(whole);
        });
        response.once("error", reject);
      }),
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          response.on("data", (chunk: Uint8Array) => {
            controller.enqueue(new Uint8Array(chunk));
            if ((controller.desiredSize ?? 1) <= 0) response.pause();
          });
          response.once("end", () => controller.close());
          response.once("error", (error) => controller.error(error));
        },
        pull() {
          response.resume();
        },
        cancel() {
          response.destroy();
        },
      }, { highWaterMark: 16 }),
  };
}

/** Writes `body` to `request` as the reader drains it, then ends the request. */
async function writeBody(
  request: ReturnType<typeof httpsRequest>,
  body: ReadableStream<Uint8Array>,
): Promise<void> {
  try {
    for await (const chunk of body) {
      if (!request.write(chunk)) {
        await new Promise<void>((resolve) => request.once("drain", resolve));
      }
    }
    request.end();
  } catch (error) {
    request.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

/** HTTPS to workers; one instance per TLS version and connection policy. */
export class HttpsClient {
  #tls: Pick<ConnectionOptions, "secureContext" | "minVersion" | "maxVersion">;
  #agent: Agent | false;

  /** A client presenting `options.cert`, trusting `options.ca`. */
  constructor(options: HttpsClientOptions) {
    // Made once: from PEM on every connection it costs 0.6–0.8 ms more (docs/results/tls-round-trips.md).
    const secureContext = createSecureContext({
      ca: [options.ca],
      cert: options.cert,
      key: options.key,
    });
    this.#tls = { secureContext, minVersion: "TLSv1.2", maxVersion: options.maxVersion };
    this.#agent = options.keepAlive ? new Agent({ keepAlive: true, ...this.#tls }) : false;
  }

  /** Sends `invocation` to `target`; resolves with the answer's head once it arrives. */
  send(target: HttpsTarget, invocation: Invocation): Promise<WorkerAnswer> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest({
        host: target.host,
        port: target.port,
        // An address is checked against the certificate's IP names, and sent as no SNI.
        ...(isIP(target.servername) ? {} : { servername: target.servername }),
        method: invocation.method,
        path: invocation.target,
        headers: outgoing(invocation.fields),
        agent: this.#agent,
        ...this.#tls,
      }, (response) => resolve(answerOf(response, invocation.method)));
      request.once("error", reject);
      // Nagle off: the request must not wait for the handshake's last flight to be acknowledged.
      request.once("socket", (socket: Socket) => socket.setNoDelay(true));
      if (invocation.body === null) request.end();
      else void writeBody(request, invocation.body);
    });
  }

  /** Closes kept connections. */
  close(): void {
    if (this.#agent) this.#agent.destroy();
  }
}
