/**
 * The quiche engine: `QuicEngine` over our UDP driver and the quiche binding.
 *
 * @module
 */
import { QuicEndpoint } from "./endpoint.ts";
import type {
  ListenerCounters,
  QuicAddr,
  QuicClient,
  QuicConn,
  QuicConnectOptions,
  QuicEngine,
  QuicListener,
  QuicListenOptions,
} from "./engine.ts";
import { resolveHost } from "./resolve_host.ts";
import type { SocketBuffers } from "./socket_buffers.ts";

class QuicheListener implements QuicListener {
  readonly addr: QuicAddr;
  #endpoint: QuicEndpoint;
  #reader: ReadableStreamDefaultReader<QuicConn>;

  constructor(endpoint: QuicEndpoint) {
    this.#endpoint = endpoint;
    this.addr = endpoint.local;
    this.#reader = endpoint.incoming.getReader();
  }

  get counters(): Readonly<ListenerCounters> {
    return this.#endpoint.counters;
  }

  /** Live connections on this listener. */
  get connections(): number {
    return this.#endpoint.connections;
  }

  /** The socket's kernel buffers as granted, or null where they could not be raised. */
  get socketBuffers(): SocketBuffers | null {
    return this.#endpoint.socketBuffers;
  }

  async accept(): Promise<QuicConn | null> {
    const { value, done } = await this.#reader.read();
    return done ? null : value;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<QuicConn> {
    for (;;) {
      const connection = await this.accept();
      if (connection === null) return;
      yield connection;
    }
  }

  close(): Promise<void> {
    return this.#endpoint.close();
  }
}

class QuicheClient implements QuicClient {
  #endpoints = new Map<4 | 6, QuicEndpoint>();
  #closed = false;

  async connect(options: QuicConnectOptions): Promise<QuicConn> {
    if (this.#closed) throw new Error("Cannot connect: the QUIC client is closed");
    const { address, family } = await resolveHost(options.hostname);
    let endpoint = this.#endpoints.get(family);
    if (!endpoint) {
      endpoint = new QuicEndpoint(family === 6 ? "::" : "0.0.0.0", 0);
      this.#endpoints.set(family, endpoint);
    }
    return endpoint.connect({
      remote: { host: address, port: options.port },
      serverName: options.serverName ?? options.hostname,
      tls: options.tls,
      alpn: options.alpn,
      limits: options.limits,
      session: options.session,
      onSession: options.onSession,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#endpoints.values()].map((e) => e.close()));
    this.#endpoints.clear();
  }
}

/** quiche 0.18 (BoringSSL) through `@matrixai/quic-linux-x64`: ticket keys and session import. */
export const quicheEngine: QuicEngine = {
  name: "quiche",
  capabilities: { importSessions: true, ticketKeys: true },
  listen(options: QuicListenOptions): Promise<QuicListener> {
    const endpoint = new QuicEndpoint(options.hostname ?? "127.0.0.1", options.port ?? 0);
    try {
      endpoint.listen({
        tls: options.tls,
        alpn: options.alpn,
        limits: options.limits,
        validateAddress: options.validateAddress,
      });
    } catch (error) {
      endpoint.close();
      throw error;
    }
    return Promise.resolve(new QuicheListener(endpoint));
  },
  createClient(): QuicClient {
    return new QuicheClient();
  },
};
