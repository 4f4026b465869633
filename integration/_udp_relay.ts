/**
 * A recording UDP relay for the integration tests: it sits on loopback in
 * front of a QUIC server and forwards datagrams like a NAT, one upstream
 * socket per client address, so several client processes (each with a
 * source port of its own) can pass through it at once and the server still
 * tells them apart. Every datagram is recorded with the client it belongs
 * to and its direction. And a reader of QUIC packet headers (RFC 9000 §17),
 * enough to tell what a recorded datagram carries without decrypting it.
 *
 * `quic/testing.ts` has a relay for one client at a time that can drop the
 * server's datagrams; this one keeps clients apart, which a test of separate
 * processes needs.
 *
 * @module
 */

/** A datagram that passed a `UdpRelay`. */
export interface RelayedDatagram {
  /** The client it belongs to, as `host:port` (its source address). */
  client: string;
  /** Sent by the client to the server (else the other way). */
  toServer: boolean;
  /** Its bytes, copied. */
  bytes: Uint8Array<ArrayBuffer>;
  /** When the relay took it from the client, or sent it to the client (`performance.now()`). */
  at: number;
}

/** A running relay. */
export interface UdpRelay extends AsyncDisposable {
  /** The loopback port clients send to. */
  port: number;
  /**
   * Every datagram relayed so far, both ways: the client's as the relay took
   * them, the server's as the relay passed them on.
   */
  datagrams: RelayedDatagram[];
}

/** Options of `udpRelay`. */
export interface UdpRelayOptions {
  /**
   * Hold what the server sends to a new client until this long after the
   * client's first datagram (a longer first round trip), so that the client's
   * first flight is everything it sends unprompted, however busy the machine.
   * Default 0.
   */
  holdFirstAnswerMs?: number;
}

/**
 * Queues `data` for `to`: it leaves no earlier than `notBefore`
 * (`performance.now()`), and `leaving` is called just before it does.
 */
type Send = (data: Uint8Array, to: Deno.Addr, notBefore?: number, leaving?: () => void) => void;

/**
 * An ordered queue of sends on one socket (concurrent Deno UDP sends can
 * reorder datagrams). A send that waits for its time holds those behind it.
 */
function serialSender(socket: Deno.DatagramConn): Send {
  let last = Promise.resolve();
  return (data, to, notBefore = 0, leaving) => {
    last = last.then(async () => {
      const wait = notBefore - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      leaving?.();
      await socket.send(data, to);
    }).catch(() => {});
  };
}

/** Starts a `UdpRelay` on 127.0.0.1 in front of the UDP server at `127.0.0.1:serverPort`. */
export function udpRelay(serverPort: number, options: UdpRelayOptions = {}): UdpRelay {
  const hostname = "127.0.0.1";
  const server: Deno.NetAddr = { transport: "udp", hostname, port: serverPort };
  const front = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const upstreams = new Map<string, { socket: Deno.DatagramConn; send: Send }>();
  const loops: Promise<void>[] = [];
  const datagrams: RelayedDatagram[] = [];
  const record = (client: string, toServer: boolean, bytes: Uint8Array<ArrayBuffer>) =>
    datagrams.push({ client, toServer, bytes, at: performance.now() });

  const upstreamFor = (client: Deno.NetAddr) => {
    const key = `${client.hostname}:${client.port}`;
    let upstream = upstreams.get(key);
    if (upstream) return { key, upstream };
    const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    upstream = { socket, send: serialSender(socket) };
    upstreams.set(key, upstream);
    // A queue of its own on the front socket, so one client's hold delays no other.
    const toClient = serialSender(front);
    const notBefore = performance.now() + (options.holdFirstAnswerMs ?? 0);
    loops.push((async () => {
      try {
        for (;;) {
          const [data] = await socket.receive();
          const bytes = data.slice();
          // Recorded as it leaves, so the record's order is what the client saw.
          toClient(bytes, client, notBefore, () => record(key, false, bytes));
        }
      } catch { /* closed */ }
    })());
    return { key, upstream };
  };

  loops.push((async () => {
    try {
      for (;;) {
        const [data, from] = await front.receive();
        const { key, upstream } = upstreamFor(from as Deno.NetAddr);
        record(key, true, data.slice());
        upstream.send(data, server);
      }
    } catch { /* closed */ }
  })());

  return {
    port: (front.addr as Deno.NetAddr).port,
    datagrams,
    async [Symbol.asyncDispose]() {
      front.close();
      for (const { socket } of upstreams.values()) socket.close();
      await Promise.all(loops);
    },
  };
}

/** What a QUIC packet is, from its header (QUIC version 1). */
export type PacketKind =
  | "initial"
  | "0-rtt"
  | "handshake"
  | "retry"
  | "version-negotiation"
  | "short";

const LONG_TYPES: PacketKind[] = ["initial", "0-rtt", "handshake", "retry"];

/** Reads a QUIC variable-length integer at `offset`: its value and its length. */
function readVarint(bytes: Uint8Array, offset: number): [value: number, length: number] {
  if (offset >= bytes.length) throw new RangeError("Cannot read a varint: truncated");
  const length = 1 << (bytes[offset] >> 6);
  if (offset + length > bytes.length) throw new RangeError("Cannot read a varint: truncated");
  let value = bytes[offset] & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + bytes[offset + i];
  return [value, length];
}

/**
 * The kinds of the QUIC packets coalesced in `datagram`, in order (RFC 9000
 * §12.2, §17.2): long-header packets are walked by their Length field; a
 * short-header packet, a Retry or a Version Negotiation packet runs to the
 * end of the datagram, and bytes without the fixed bit are padding. Throws
 * RangeError for a truncated header.
 */
export function packetKinds(datagram: Uint8Array): PacketKind[] {
  const kinds: PacketKind[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const first = datagram[offset];
    if ((first & 0x80) === 0) {
      // Without the fixed bit (0x40) it is no packet: zero bytes padding the datagram.
      if ((first & 0x40) !== 0) kinds.push("short");
      break;
    }
    if (offset + 6 > datagram.length) throw new RangeError("Cannot read a long header: truncated");
    const view = new DataView(datagram.buffer, datagram.byteOffset + offset + 1, 4);
    if (view.getUint32(0) === 0) {
      kinds.push("version-negotiation");
      break;
    }
    const kind = LONG_TYPES[(first & 0x30) >> 4];
    kinds.push(kind);
    if (kind === "retry") break;
    let at = offset + 5;
    at += 1 + datagram[at]; // destination connection ID
    at += 1 + datagram[at]; // source connection ID
    if (kind === "initial") {
      const [tokenLength, n] = readVarint(datagram, at);
      at += n + tokenLength;
    }
    const [length, n] = readVarint(datagram, at);
    offset = at + n + length;
    if (offset > datagram.length) throw new RangeError("Cannot read a long packet: truncated");
  }
  return kinds;
}
