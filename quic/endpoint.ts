/**
 * The QUIC driver: owns one UDP socket and the timers of every connection on
 * it, routes datagrams by destination connection ID, answers unknown versions
 * with Version Negotiation, validates addresses with Retry when its policy
 * asks (always, or only under load), and holds 0-RTT datagrams that overtake
 * their Initial.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { setImmediate } from "node:timers";
import { type HostPort, type NativeHeader, PacketType, quiche } from "./_native.ts";
import {
  type AddressValidation,
  clientConfig,
  datagramSize,
  NETWORK_DATAGRAM_SIZE,
  type QuicClientTls,
  type QuicLimits,
  type QuicServerTls,
  resolveAddressValidation,
  resolveLimits,
  serverConfig,
} from "./config.ts";
import { ClientAuthPolicy } from "./client_auth.ts";
import { CloseBudget } from "./close_budget.ts";
import { type ConnectionDriver, QuicConnection } from "./connection.ts";
import {
  BATCH,
  BatchedDatagrams,
  DATAGRAM_IO_ENV,
  type DatagramIoMode,
  OPS_MODE,
} from "./datagram_io.ts";
import { EarlyDatagrams } from "./early_datagrams.ts";
import type { ListenerCounters } from "./engine.ts";
import { RetryTokens } from "./retry_token.ts";
import { growSocketBuffers, type SocketBuffers } from "./socket_buffers.ts";

/**
 * Size of a send buffer. quiche caps a packet at the buffer it is given, and
 * its packets stay under 16 KiB anyway (the largest loopback datagram we use).
 */
const SEND_BUFFER_SIZE = 16 * 1024;
/** Send buffers kept for reuse (1 MiB at most). */
const MAX_POOLED_BUFFERS = 64;

/** Length of the connection IDs we issue; short headers are parsed with it. */
export const CID_LENGTH = 16;

/** How a listener on this endpoint accepts connections. */
export interface ListenOptions {
  tls: QuicServerTls;
  alpn: readonly string[];
  limits?: QuicLimits;
  /**
   * When to require a Retry round trip before accepting (RFC 9000 §8.1.2):
   * `"under-load"` for listeners that face untrusted clients, `"never"` for
   * internal links, where it would cost the round trip that 0-RTT saves.
   * `true` is `"always"`, `false` and absent are `"never"`.
   */
  validateAddress?: boolean | AddressValidation;
}

/** How to open a client connection from this endpoint. */
export interface ConnectOptions {
  remote: HostPort;
  /** Name for SNI and certificate verification. */
  serverName: string;
  tls: QuicClientTls;
  alpn: readonly string[];
  limits?: QuicLimits;
  /** A session to resume; with it, streams opened before the handshake travel as 0-RTT. */
  session?: Uint8Array;
  /** Receives each new resumable session (after the handshake and after every new ticket). */
  onSession?: (session: Uint8Array) => void;
}

interface ServerState {
  /** quiche configs by datagram size: loopback peers get larger datagrams. */
  configs: Map<number, ReturnType<typeof serverConfig>>;
  tls: QuicServerTls;
  alpn: readonly string[];
  limits: ReturnType<typeof resolveLimits>;
  validation: AddressValidation;
  /** The client-certificate rule, when the listener requires one. */
  clientAuth: ClientAuthPolicy | null;
  /** Mints and checks Retry tokens; null when the policy never validates. */
  tokens: RetryTokens | null;
  /** Server connections still in their handshake whose address no Retry token proved. */
  unvalidated: Set<QuicConnection>;
  incoming: ReadableStreamDefaultController<QuicConnection>;
  count: number;
}

function cidKey(cid: Uint8Array): string {
  return String.fromCharCode(...cid);
}

/** Resolves on the next turn of the event loop, after the immediates queued before it. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The datagram path endpoints take unless told: `QFAAS_DATAGRAM_IO=ops`
 * keeps Deno's ops (to compare, or to rule batching out); else batched.
 */
function defaultDatagramIo(): "batched" | "ops" {
  try {
    return Deno.env.get(DATAGRAM_IO_ENV) === "ops" ? "ops" : "batched";
  } catch {
    return "batched"; // no permission to read the environment: the default
  }
}

function hostPort(addr: Deno.Addr): HostPort {
  const net = addr as Deno.NetAddr;
  return { host: net.hostname, port: net.port };
}

/** One UDP socket carrying any number of client and server connections. */
export class QuicEndpoint implements ConnectionDriver {
  /** The bound address (with the real port when 0 was asked for). */
  readonly local: HostPort;
  /** Counters for monitoring and tests. */
  readonly counters: ListenerCounters = {
    datagramsIn: 0,
    datagramsOut: 0,
    datagramsDropped: 0,
    connectionsRefused: 0,
    connectionsAccepted: 0,
    versionNegotiations: 0,
    retriesSent: 0,
    invalidTokens: 0,
    earlyDatagramsHeld: 0,
    clientsRefused: 0,
    closesCut: 0,
    batchedSends: 0,
    batchedReceives: 0,
  };
  /** Connections accepted by `listen`. */
  readonly incoming: ReadableStream<QuicConnection>;
  /** The kernel buffers of the socket, raised at creation; null where they could not be. */
  readonly socketBuffers: SocketBuffers | null;

  #socket: Deno.DatagramConn;
  #byCid = new Map<string, QuicConnection>();
  #keys = new Map<QuicConnection, string[]>();
  #timers = new Map<QuicConnection, { id: ReturnType<typeof setTimeout>; deadline: number }>();
  #dirty = new Set<QuicConnection>();
  #server: ServerState | null = null;
  #clientConfigs = new Map<string, ReturnType<typeof clientConfig>>();
  #incoming!: ReadableStreamDefaultController<QuicConnection>;
  #early = new EarlyDatagrams();
  #out = new Uint8Array(65536);
  #closing = false;
  #lastFrom: HostPort = { host: "", port: 0 };
  #loop: Promise<void>;
  #sendQueue: Array<{ datagram: Uint8Array; to: HostPort; pooled: boolean }> = [];
  /** Send buffers whose datagram has left; reused to avoid a 64 KiB allocation per datagram. */
  #pool: Uint8Array[] = [];
  #sending: Promise<void> | null = null;
  /** Batched I/O on the socket, or null for Deno's ops. */
  #batch: BatchedDatagrams | null;
  /** Lengths and peers of the datagrams in the batch's send slots. */
  #lengths: number[] = new Array(BATCH).fill(0);
  #peers: HostPort[] = new Array(BATCH);
  /** What connections closing on our side may still send (close_budget.ts). */
  #closeBudget = new CloseBudget<QuicConnection>();

  /**
   * Binds a UDP socket; `hostname` may be IPv4 or IPv6 ("::1", "::").
   * `datagramIo: "ops"` keeps Deno's datagram ops (the fallback, forced);
   * default batched where the process can (see datagram_io.ts).
   */
  constructor(hostname: string, port = 0, options: { datagramIo?: "batched" | "ops" } = {}) {
    this.#socket = Deno.listenDatagram({ transport: "udp", hostname, port });
    this.local = hostPort(this.#socket.addr);
    this.socketBuffers = growSocketBuffers(this.#socket.addr as Deno.NetAddr);
    this.#batch = (options.datagramIo ?? defaultDatagramIo()) === "ops"
      ? null
      : BatchedDatagrams.open(this.#socket.addr as Deno.NetAddr);
    this.incoming = new ReadableStream({ start: (c) => void (this.#incoming = c) });
    this.#loop = this.#receiveLoop();
  }

  /** How datagrams cross the socket: batched system calls (and GSO), or one Deno op each. */
  get datagramIo(): DatagramIoMode {
    return this.#batch?.mode ?? OPS_MODE;
  }

  /** Number of live connections. */
  get connections(): number {
    return this.#keys.size;
  }

  /** Starts accepting connections; they appear on `incoming`. */
  listen(options: ListenOptions): void {
    if (this.#server) throw new Error("Cannot listen: this endpoint already listens");
    const limits = resolveLimits(options.limits);
    const validation = resolveAddressValidation(options.validateAddress);
    this.#server = {
      // Built now so that a bad certificate or key fails here, not at the first client.
      configs: new Map([[
        NETWORK_DATAGRAM_SIZE,
        serverConfig(options.tls, options.alpn, limits, NETWORK_DATAGRAM_SIZE),
      ]]),
      tls: options.tls,
      alpn: options.alpn,
      limits,
      validation,
      clientAuth: options.tls.clientAuth ? new ClientAuthPolicy(options.tls.clientAuth) : null,
      tokens: validation === "never" ? null : new RetryTokens(),
      unvalidated: new Set(),
      incoming: this.#incoming,
      count: 0,
    };
  }

  /**
   * Opens a client connection. It returns at once, before the handshake: with
   * a `session`, streams opened now go out as 0-RTT in the first flight.
   */
  connect(options: ConnectOptions): QuicConnection {
    if (this.#closing) throw new Error("Cannot connect: the endpoint is closed");
    const limits = resolveLimits(options.limits);
    const size = datagramSize(limits, options.remote.host);
    // A quiche Config is a BoringSSL context (~44 µs to build): one per set of options.
    const configKey = JSON.stringify([
      options.tls.ca,
      options.tls.identity?.cert ?? null,
      options.alpn,
      limits,
      size,
    ]);
    let config = this.#clientConfigs.get(configKey);
    if (!config) {
      config = clientConfig(options.tls, options.alpn, limits, size);
      this.#clientConfigs.set(configKey, config);
    }
    const scid = randomBytes(CID_LENGTH);
    const native = quiche.Connection.connect(
      options.serverName,
      scid,
      this.local,
      options.remote,
      config,
    );
    let offered = false;
    if (options.session) {
      try {
        native.setSession(options.session);
        offered = true;
      } catch {
        // An unparsable session means a full handshake, not a failure.
      }
    }
    const connection = new QuicConnection(native, {
      role: "client",
      local: this.local,
      remote: options.remote,
      driver: this,
      onSession: options.onSession,
      offeredSession: offered,
    });
    this.#register(connection, [cidKey(scid)]);
    // Sending the ClientHello is what puts a resuming client into early data:
    // streams opened from now on go out as 0-RTT right behind it.
    this.#service(connection);
    return connection;
  }

  /**
   * ConnectionDriver: schedules a send pass for `connection` on the next turn
   * of the event loop (setImmediate: ~1 µs here, where setTimeout(0) costs
   * ~2 ms), after the microtasks of the current one have queued their writes.
   */
  wake(connection: QuicConnection): void {
    if (this.#dirty.has(connection)) return;
    this.#dirty.add(connection);
    setImmediate(() => this.#service(connection));
  }

  /** Closes every connection (sending CONNECTION_CLOSE) and the socket. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const connection of [...this.#keys.keys()]) {
      connection.close({ reason: "endpoint closing" });
      this.#service(connection);
      this.#forget(connection);
    }
    try {
      this.#incoming.close();
    } catch { /* already closed */ }
    await this.#sending;
    this.#batch?.close(); // before Deno closes the descriptor, whose number may be reused
    this.#socket.close();
    await this.#loop;
  }

  async #receiveLoop(): Promise<void> {
    const buffer = new Uint8Array(65536);
    const batch = this.#batch;
    while (!this.#closing) {
      if (batch !== null) {
        // Drain what has arrived in one call; Deno's op below only waits for more.
        const count = batch.receive();
        if (count > 0) {
          this.counters.batchedReceives++;
          for (let i = 0; i < count; i++) this.#onDatagram(batch.datagram(i), batch.from(i));
          // Let the sends this scheduled (setImmediate, queued first) run before reading on.
          await nextTurn();
          continue;
        }
      }
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await this.#socket.receive(buffer);
      } catch (error) {
        if (this.#closing) return;
        // ICMP errors surface as receive failures on some systems; keep serving.
        if (error instanceof Deno.errors.ConnectionRefused) continue;
        throw error;
      }
      const addr = received[1] as Deno.NetAddr;
      const last = this.#lastFrom;
      // Reuse the address object while the same peer keeps talking (the common case).
      const from = last.port === addr.port && last.host === addr.hostname
        ? last
        : (this.#lastFrom = { host: addr.hostname, port: addr.port });
      this.#onDatagram(received[0], from);
    }
  }

  #onDatagram(data: Uint8Array, from: HostPort): void {
    this.counters.datagramsIn++;
    // Short headers (RFC 9000 §17.3) carry only our own CIDs, of known length:
    // read the DCID here and keep the parser call for long headers.
    let header: NativeHeader | null = null;
    let dcid: Uint8Array;
    if ((data[0] & 0x80) === 0 && data.byteLength > CID_LENGTH) {
      dcid = data.subarray(1, 1 + CID_LENGTH);
    } else {
      try {
        header = quiche.Header.fromSlice(data, CID_LENGTH);
      } catch {
        this.counters.datagramsDropped++;
        return;
      }
      dcid = header.dcid;
    }
    const key = cidKey(dcid);
    const connection = this.#byCid.get(key);
    if (connection) {
      const handshaking = !connection.established;
      if (!connection.receive(data, from)) this.counters.datagramsDropped++;
      if (handshaking && connection.established) this.#server?.unvalidated.delete(connection);
      const handshakePacket = header !== null && header.ty !== PacketType.ZeroRTT &&
        header.ty !== PacketType.Short;
      if (handshaking && handshakePacket) {
        // A handshake flight is answered at once, before promise continuations
        // run: a client that just completed the handshake must send its
        // Finished before the application acts.
        this.#service(connection, connection.role === "client");
      } else {
        // Anything else flushes on the next turn, so that ACKs ride on the
        // application's answer instead of packets of their own.
        this.wake(connection);
      }
      return;
    }
    const server = this.#server;
    if (!server || header === null || header.ty === PacketType.Short || this.#closing) {
      this.counters.datagramsDropped++;
      return;
    }
    if (!quiche.versionIsSupported(header.version)) {
      // RFC 9000 §6.1: answer with the versions we support.
      const length = quiche.negotiateVersion(header.scid, header.dcid, this.#out);
      this.counters.versionNegotiations++;
      this.#transmit(this.#out.slice(0, length), from);
      return;
    }
    if (header.ty === PacketType.ZeroRTT) {
      // RFC 9000 §5.2.2: 0-RTT may overtake its Initial; hold it briefly.
      if (this.#early.hold(key, data, from)) this.counters.earlyDatagramsHeld++;
      else this.counters.datagramsDropped++;
      return;
    }
    if (header.ty !== PacketType.Initial || data.byteLength < quiche.MIN_CLIENT_INITIAL_LEN) {
      // RFC 9000 §14.1: a server drops Initial datagrams smaller than 1200 bytes.
      this.counters.datagramsDropped++;
      return;
    }
    this.#accept(server, header, data, from, key);
  }

  #accept(
    server: ServerState,
    header: NativeHeader,
    data: Uint8Array,
    from: HostPort,
    key: string,
  ): void {
    if (server.count >= server.limits.maxConnections) {
      this.counters.connectionsRefused++;
      return;
    }
    let scid: Uint8Array;
    let odcid: Uint8Array | null = null;
    const token = header.token;
    if (server.tokens && token && token.byteLength > 0) {
      // Our tokens come only from Retry packets: a client whose token fails
      // will not take another Retry (RFC 9000 §8.1.2), so drop its Initial.
      odcid = server.tokens.validate(token, from, header.dcid);
      if (!odcid) {
        this.counters.invalidTokens++;
        this.counters.datagramsDropped++;
        return;
      }
      scid = header.dcid;
    } else if (this.#mustValidate(server)) {
      const retryScid = randomBytes(CID_LENGTH);
      const fresh = server.tokens!.mint(from, header.dcid, retryScid);
      const length = quiche.retry(
        header.scid,
        header.dcid,
        retryScid,
        fresh,
        header.version,
        this.#out,
      );
      this.counters.retriesSent++;
      this.#transmit(this.#out.slice(0, length), from);
      return;
    } else {
      scid = randomBytes(CID_LENGTH);
    }
    const size = datagramSize(server.limits, from.host);
    let config = server.configs.get(size);
    if (!config) {
      config = serverConfig(server.tls, server.alpn, server.limits, size);
      server.configs.set(size, config);
    }
    const native = quiche.Connection.accept(scid, odcid, this.local, from, config);
    const connection: QuicConnection = new QuicConnection(native, {
      role: "server",
      local: this.local,
      remote: from,
      driver: this,
      // With client authentication, the listener hands a connection out only
      // once its client is admitted: a refused one is never seen, nor its streams.
      ...(server.clientAuth
        ? {
          clientAuth: server.clientAuth,
          onAdmitted: () => this.#handOut(server, connection),
          onRefused: () => this.counters.clientsRefused++,
        }
        : {}),
    });
    const received = connection.receive(data, from);
    const keys = [cidKey(scid)];
    if (keys[0] !== key) keys.push(key);
    if (connection.closingLocally) {
      // A real Initial that the handshake refused (no common ALPN, say): keep
      // the connection only to send its CONNECTION_CLOSE, never hand it out.
      this.counters.connectionsRefused++;
      server.count++;
      this.#register(connection, keys);
      this.#service(connection);
      return;
    }
    if (!received || connection.stats().recv === 0) {
      // Not a real Initial (it did not decrypt): keep no state for it.
      this.counters.datagramsDropped++;
      return;
    }
    server.count++;
    this.counters.connectionsAccepted++;
    this.#register(connection, keys);
    if (odcid === null && !connection.established) server.unvalidated.add(connection);
    for (const held of this.#early.take(key)) {
      if (!connection.receive(held.data, held.from)) this.counters.datagramsDropped++;
    }
    if (!server.clientAuth) server.incoming.enqueue(connection);
    this.#service(connection);
  }

  /** Gives an admitted connection to the listener's reader (unless the endpoint is closing). */
  #handOut(server: ServerState, connection: QuicConnection): void {
    if (this.#closing) return;
    try {
      server.incoming.enqueue(connection);
    } catch { /* the listener is closed: the endpoint closes the connection */ }
  }

  /**
   * Does a new client without a token need a Retry first? Under load means
   * `maxUnvalidatedHandshakes` handshakes from unproven addresses in flight:
   * what a flood of spoofed Initials builds up (each holds state until its
   * idle timeout), while real clients finish theirs within a round trip or two.
   */
  #mustValidate(server: ServerState): boolean {
    if (server.validation === "always") return true;
    if (server.validation === "never") return false;
    return server.unvalidated.size >= server.limits.maxUnvalidatedHandshakes;
  }

  #register(connection: QuicConnection, keys: string[]): void {
    for (const key of keys) this.#byCid.set(key, connection);
    this.#keys.set(connection, keys);
  }

  #forget(connection: QuicConnection): void {
    const keys = this.#keys.get(connection);
    if (!keys) return;
    for (const key of keys) this.#byCid.delete(key);
    this.#keys.delete(connection);
    this.#closeBudget.forget(connection);
    const timer = this.#timers.get(connection);
    if (timer) clearTimeout(timer.id);
    this.#timers.delete(connection);
    if (connection.role === "server" && this.#server) {
      this.#server.count--;
      this.#server.unvalidated.delete(connection);
    }
    connection.finish();
  }

  #transmit(datagram: Uint8Array, to: HostPort, pooled = false): void {
    this.counters.datagramsOut++;
    this.#sendQueue.push({ datagram, to, pooled });
    if (!this.#sending) this.#sending = this.#sendLoop();
  }

  /** A send buffer from the pool; quiche writes datagrams straight into it. */
  #buffer(): Uint8Array {
    return this.#pool.pop() ?? new Uint8Array(SEND_BUFFER_SIZE);
  }

  #release(buffer: Uint8Array): void {
    if (this.#pool.length < MAX_POOLED_BUFFERS) this.#pool.push(buffer);
  }

  /** May `connection`, closing on our side, send another datagram now? (close_budget.ts) */
  #closeFlight(connection: QuicConnection, polled: number): boolean {
    const step = this.#closeBudget.next(connection, polled);
    if (step !== "drop") return step === "send";
    this.counters.closesCut++;
    console.error(
      `quic: dropped a closing connection to ${connection.remote.host}:${connection.remote.port} ` +
        `that kept sending CONNECTION_CLOSE (${JSON.stringify(connection.stats())})`,
    );
    this.#forget(connection);
    return false;
  }

  /**
   * Sends the first `count` send slots in one system call; what the socket
   * did not take is copied to the ops queue, which sends it (waiting for room)
   * and keeps later datagrams behind it. The slots are free again after it.
   */
  #flush(count: number): void {
    const batch = this.#batch!;
    const sent = batch.send(count, this.#lengths, this.#peers);
    this.counters.batchedSends++;
    this.counters.datagramsOut += sent;
    for (let i = sent; i < count; i++) {
      const copy = this.#buffer();
      copy.set(batch.sendSlot(i).subarray(0, this.#lengths[i]));
      this.#transmit(copy.subarray(0, this.#lengths[i]), this.#peers[i], true);
    }
  }

  /**
   * Sends queued datagrams one at a time. Concurrent `send` calls can leave
   * the socket out of order (seen here: a 0-RTT packet before its Initial),
   * and QUIC reads reordering as loss.
   */
  async #sendLoop(): Promise<void> {
    const queue = this.#sendQueue;
    for (let i = 0; i < queue.length; i++) {
      const { datagram, to, pooled } = queue[i];
      try {
        await this.#socket.send(datagram, { transport: "udp", hostname: to.host, port: to.port });
      } catch {
        // A refused or unreachable peer is handled by QUIC loss recovery and idle timeout.
        this.counters.datagramsDropped++;
      }
      if (pooled) this.#release(new Uint8Array(datagram.buffer));
    }
    queue.length = 0;
    this.#sending = null;
  }

  /**
   * Sends everything quiche has queued for `connection`, then re-arms its
   * timer. `padded`: the datagrams may carry a client's Initial packet, which
   * quiche pads to the whole buffer it is given (RFC 9000 §14.1 asks for 1200
   * bytes); give it a network-sized one, not a 16 KiB loopback one.
   */
  #service(connection: QuicConnection, padded = false): void {
    this.#dirty.delete(connection);
    if (!this.#keys.has(connection)) return;
    const batch = this.#batch;
    let batched = 0;
    // A connection closing on our side needs one flight for its CONNECTION_CLOSE.
    const closing = connection.closingLocally;
    let polled = 0;
    for (;;) {
      if (closing && !this.#closeFlight(connection, polled)) break;
      polled++;
      // Batched while nothing waits in the ops queue (which would then be overtaken).
      const slot = batch !== null && this.#sending === null;
      const buffer = slot ? batch.sendSlot(batched) : this.#buffer();
      const length = connection.poll(padded ? buffer.subarray(0, NETWORK_DATAGRAM_SIZE) : buffer);
      if (length === 0) {
        if (!slot) this.#release(buffer);
        break;
      }
      if (!slot) {
        this.#transmit(buffer.subarray(0, length), connection.remote, true);
        continue;
      }
      this.#lengths[batched] = length;
      this.#peers[batched] = connection.remote;
      if (++batched === BATCH) {
        this.#flush(batched);
        batched = 0;
      }
    }
    if (batched > 0) this.#flush(batched);
    if (!this.#keys.has(connection)) return; // dropped while closing (`#closeFlight`)
    const timeout = connection.timeout();
    const timer = this.#timers.get(connection);
    if (timeout === null) {
      if (timer) clearTimeout(timer.id);
      this.#timers.delete(connection);
      // quiche has no timer only once the connection is closed, or before it sent anything.
      if (connection.isClosed) this.#forget(connection);
      return;
    }
    const deadline = performance.now() + timeout;
    // An earlier timer firing is harmless (quiche checks its own clock), so only re-arm when sooner.
    if (timer && timer.deadline <= deadline) return;
    if (timer) clearTimeout(timer.id);
    const id = setTimeout(() => {
      this.#timers.delete(connection);
      connection.onTimeout();
      // A client's probe before the handshake completes may resend its Initial.
      this.#service(connection, connection.role === "client" && !connection.established);
    }, timeout);
    this.#timers.set(connection, { id, deadline });
  }
}
