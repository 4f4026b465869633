// Test helpers shared by quic/ tests: a throwaway trust domain and stream I/O.
import { createCa, issueLeaf } from "../pki/mod.ts";
import type { CertificateAuthority, CertificateRole, CertifiedKey } from "../pki/mod.ts";
import type {
  QuicClient,
  QuicConn,
  QuicConnectOptions,
  QuicEngine,
  QuicListener,
  QuicListenOptions,
  QuicStreamLike,
} from "./mod.ts";

export interface TrustDomain {
  ca: CertificateAuthority;
  leaf: CertifiedKey;
}

export async function trustDomain(name = "QFaaS test CA"): Promise<TrustDomain> {
  const ca = await createCa(name);
  const leaf = await issueLeaf(ca, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
  });
  return { ca, leaf };
}

/** A leaf of `domain`'s CA for `role`: a client identity for mutual TLS tests. */
export function identityOf(
  domain: TrustDomain,
  role: CertificateRole,
  commonName = `test-${role}`,
): Promise<CertifiedKey> {
  return issueLeaf(domain.ca, { commonName, role });
}

export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(readable).arrayBuffer());
}

/** Reads a stream to its end through the direct API (no web streams). */
export async function readToEnd(stream: QuicStreamLike): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) {
    chunks.push(chunk);
  }
  return concatBytes(...chunks);
}

/** Joins byte arrays into one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((offset, p) => (out.set(p, offset), offset + p.byteLength), 0);
  return out;
}

export async function writeAll(
  writable: WritableStream<Uint8Array>,
  data: Uint8Array,
): Promise<void> {
  const writer = writable.getWriter();
  await writer.write(data);
  await writer.close();
}

/** Serves an echo on every bidirectional stream of every connection: reads all, writes it back. */
export async function echoStream(stream: QuicStreamLike): Promise<void> {
  const body = await readAll(stream.readable!);
  await writeAll(stream.writable!, body);
}

/** Protocol used by every test bed. */
export const TEST_ALPN = ["qfaas-test"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends `body` on a new stream, closes it, and returns the whole answer. */
export async function request(conn: QuicConn, body: Uint8Array): Promise<Uint8Array> {
  const stream = await conn.createBidirectionalStream();
  const [response] = await Promise.all([
    readAll(stream.readable!),
    writeAll(stream.writable!, body),
  ]);
  return response;
}

/** `request` with text in and out. */
export async function command(conn: QuicConn, text: string): Promise<string> {
  return decoder.decode(await request(conn, encoder.encode(text)));
}

/** Options to connect to `port` on loopback as "localhost", trusting the domain's CA. */
export function connectOptions(domain: TrustDomain, port: number): QuicConnectOptions {
  return {
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    tls: { ca: domain.ca.cert },
    alpn: TEST_ALPN,
  };
}

/** An echo listener and a client of one engine; `await using` closes both. */
export interface EchoBed extends AsyncDisposable {
  listener: QuicListener;
  client: QuicClient;
  /** Connections the listener accepted, in order. */
  conns: QuicConn[];
  /** Connects the client to the listener; `extra` overrides any option. */
  connect(extra?: Partial<QuicConnectOptions>): Promise<QuicConn>;
}

/** Starts an echo listener (each stream: read all, write it back) and a client. */
export async function echoBed(
  engine: QuicEngine,
  domain: TrustDomain,
  options: Partial<QuicListenOptions> = {},
): Promise<EchoBed> {
  const listener = await engine.listen({ tls: domain.leaf, alpn: TEST_ALPN, ...options });
  const client = engine.createClient();
  const conns: QuicConn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        for await (const stream of conn.incomingBidirectionalStreams) {
          echoStream(stream).catch(() => {});
        }
      })();
    }
  })();
  return {
    listener,
    client,
    conns,
    connect: (extra = {}) =>
      client.connect({
        ...connectOptions(domain, listener.addr.port),
        hostname: options.hostname ?? "127.0.0.1",
        ...extra,
      }),
    async [Symbol.asyncDispose]() {
      await client.close();
      await listener.close();
      await loop;
    },
  };
}

/** A datagram that passed a `recordingRelay`, and which way. */
export interface RelayedDatagram {
  toServer: boolean;
  bytes: Uint8Array;
}

/** A UDP relay in front of `serverPort` that records every datagram it forwards. */
export interface RecordingRelay extends AsyncDisposable {
  /** Where clients should send. */
  port: number;
  /** Every datagram forwarded so far, in order. */
  datagrams: RelayedDatagram[];
  /** While true, what the server sends is dropped (a handshake held open). Default false. */
  dropFromServer: boolean;
  /** Drops every n-th datagram, either way (0: none; deterministic loss). Default 0. */
  dropEvery: number;
}

/** Starts a `RecordingRelay` on loopback; one client at a time. */
export function recordingRelay(serverPort: number): RecordingRelay {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const server = { transport: "udp" as const, hostname: "127.0.0.1", port: serverPort };
  let client: Deno.Addr | null = null;
  let seen = 0;
  const relay: RecordingRelay = {
    port: (socket.addr as Deno.NetAddr).port,
    datagrams: [],
    dropFromServer: false,
    dropEvery: 0,
    async [Symbol.asyncDispose]() {
      socket.close();
      await relaying;
    },
  };
  const relaying = (async () => {
    try {
      for (;;) {
        const [data, from] = await socket.receive();
        const toServer = (from as Deno.NetAddr).port !== serverPort;
        if (toServer) client = from;
        if (!toServer && relay.dropFromServer) continue;
        if (relay.dropEvery > 0 && ++seen % relay.dropEvery === 0) continue;
        relay.datagrams.push({ toServer, bytes: data.slice() });
        await socket.send(data, toServer ? server : client!);
      }
    } catch { /* closed */ }
  })();
  return relay;
}
