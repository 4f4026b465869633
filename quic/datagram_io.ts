/**
 * Batched datagram I/O on a UDP socket Deno opened: `sendmmsg(2)` sends a
 * flight of datagrams in one system call, runs of equal-sized ones to one
 * peer as a single UDP GSO send (`UDP_SEGMENT`), and `recvmmsg(2)` drains
 * what has arrived in one call. Deno's datagram ops cost one async op per
 * datagram (docs/results/throughput.md); quinn, quic-go and msquic batch the
 * same way.
 *
 * Linux only, through FFI on the socket's descriptor (found as
 * socket_buffers.ts finds it). Deno stays the socket's owner: it waits for
 * readability (its receive op) and closes it; the batches are non-blocking
 * calls made between its ops. Every pointer the kernel follows lives in
 * buffers allocated and addressed once, when the endpoint opens: a worker
 * revokes FFI before its function's code loads, and a revoked process can
 * still call a loaded symbol but cannot take a buffer's address. Where
 * anything is missing (no FFI, not Linux, the socket not found) `open`
 * returns null and the endpoint keeps Deno's ops; a call that fails (a full
 * socket buffer, a kernel without GSO) hands that batch back to them.
 *
 * @module
 */
import type { HostPort } from "./_native.ts";
import { AF_INET, AF_INET6, lazyLibc } from "./_libc.ts";
import { socketDescriptor } from "./socket_buffers.ts";

const SYMBOLS = {
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Module-private: never exported (see _libc.ts). Opened when first asked for. */
const libc = lazyLibc(SYMBOLS);

/** Datagrams per system call at most, each way. */
export const BATCH = 32;
/** Largest datagram sent: the endpoint's send buffers (quiche caps a packet at the buffer). */
export const SEND_SLOT_BYTES = 16 * 1024;
/** Receive slots hold any UDP payload, so nothing is ever truncated. */
const RECV_SLOT_BYTES = 64 * 1024;
/** Largest GSO send the kernel takes: 64 segments, 64 KiB of payload (UDP_MAX_SEGMENTS). */
const GSO_MAX_SEGMENTS = 64;
const GSO_MAX_BYTES = 65_000;

// Struct sizes on 64-bit Linux: struct iovec; struct mmsghdr (a 56-byte msghdr, msg_len, padding).
const IOVEC = 16;
const MMSGHDR = 64;
/** Where msg_len sits in a struct mmsghdr. */
const MSG_LEN = 56;
const SOCKADDR = 28; // sockaddr_in6, the larger of the two
const CMSG_SPACE_U16 = 24; // CMSG_SPACE(sizeof(uint16_t)) on 64-bit Linux
const SOL_UDP = 17;
const UDP_SEGMENT = 103;
const MSG_DONTWAIT = 0x40;
/** errno values that say a device cannot segment (GSO), rather than that the socket is full. */
const EIO = 5;
const EINVAL = 22;

/** Set to "ops" to keep Deno's datagram ops in every endpoint of the process (the fallback). */
export const DATAGRAM_IO_ENV = "QFAAS_DATAGRAM_IO";

/** Which datagram path an endpoint uses. */
export interface DatagramIoMode {
  /** "batched": sendmmsg/recvmmsg through FFI; "ops": one Deno op per datagram. */
  path: "batched" | "ops";
  /** Runs of equal-sized datagrams go out as one UDP GSO send. */
  gso: boolean;
}

/** The path an endpoint falls back to. */
export const OPS_MODE: DatagramIoMode = { path: "ops", gso: false };

/** The address of `buffer`'s first byte, as the kernel sees it (needs FFI permission). */
function address(buffer: Uint8Array): bigint {
  return Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as Uint8Array<ArrayBuffer>));
}

/** Writes `to` as a sockaddr_in or sockaddr_in6 into `out`; returns its length, or 0 if unparsable. */
export function writeSockaddr(out: Uint8Array, to: HostPort): number {
  out.fill(0, 0, SOCKADDR);
  out[2] = to.port >>> 8;
  out[3] = to.port & 0xff;
  const host = to.host;
  if (!host.includes(":")) {
    const parts = host.split(".");
    if (parts.length !== 4) return 0;
    out[0] = AF_INET;
    for (let i = 0; i < 4; i++) {
      const byte = Number(parts[i]);
      if (!(byte >= 0 && byte <= 255) || parts[i] === "") return 0;
      out[4 + i] = byte;
    }
    return 16;
  }
  const groups = ipv6Groups(host);
  if (groups === null) return 0;
  out[0] = AF_INET6;
  for (let i = 0; i < 8; i++) {
    out[8 + 2 * i] = groups[i] >>> 8;
    out[9 + 2 * i] = groups[i] & 0xff;
  }
  return SOCKADDR;
}

/** The eight 16-bit groups of an IPv6 address (with "::" and a dotted IPv4 tail), or null. */
function ipv6Groups(host: string): number[] | null {
  let text = host.startsWith("[") ? host.slice(1, -1) : host;
  const percent = text.indexOf("%");
  if (percent >= 0) text = text.slice(0, percent); // the zone does not travel in the address
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = text.slice(lastColon + 1).split(".");
    if (v4.length !== 4 || v4.some((b) => !/^\d{1,3}$/.test(b) || Number(b) > 255)) return null;
    const [a, b, c, d] = v4.map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const needed = 8 - tail.length;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const zeros = needed - head.length - rest.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return null;
  const groups: number[] = [];
  for (const group of [...head, ...new Array<string>(zeros).fill("0"), ...rest]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return [...groups, ...tail];
}

/** An IPv6 address as RFC 5952 writes it (as Deno names peers): lowercase, longest zero run as "::". */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 &&
    groups[4] === 0 && groups[5] === 0xffff
  ) {
    const b = offset + 12;
    return `::ffff:${bytes[b]}.${bytes[b + 1]}.${bytes[b + 2]}.${bytes[b + 3]}`;
  }
  let bestStart = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** sendmmsg/recvmmsg on one socket, with buffers of fixed addresses. */
export class BatchedDatagrams {
  #c: Libc;
  #fd: number;
  /** This thread's errno, read with memcpy (a pointer view would need FFI permission). */
  #errno: Deno.PointerValue;
  #errnoOut = new Int32Array(1);
  /** Kept so the receive iovecs (whose address the headers hold) live as long as this. */
  #recvIov = new Uint8Array(BATCH * IOVEC);
  #open = true;
  #gso: boolean;
  // Send side: slots quiche writes into, their lengths and peers, and the headers.
  #sendArena = new Uint8Array(BATCH * SEND_SLOT_BYTES);
  #sendSlots: Uint8Array[] = [];
  #sendIov = new Uint8Array(BATCH * IOVEC);
  #sendIovView: DataView;
  #sendIovAddr: bigint;
  #sendHeaders = new Uint8Array(BATCH * MMSGHDR);
  #sendHeaderView: DataView;
  #sendNames = new Uint8Array(BATCH * SOCKADDR);
  #sendNamesAddr: bigint;
  #control = new Uint8Array(BATCH * CMSG_SPACE_U16);
  #controlView: DataView;
  #controlAddr: bigint;
  #slotAddr: bigint[] = [];
  // Receive side.
  #recvArena = new Uint8Array(BATCH * RECV_SLOT_BYTES);
  #recvHeaders = new Uint8Array(BATCH * MMSGHDR);
  #recvHeaderView: DataView;
  #recvNames = new Uint8Array(BATCH * SOCKADDR);
  /** The last IPv4 peer decoded (address as a number), reused while it repeats (the common case). */
  #lastPeer = { address: -1, from: { host: "", port: 0 } as HostPort };
  /** Encoded sockaddrs of recent peers. */
  #names = new Map<string, Uint8Array>();

  private constructor(c: Libc, fd: number, gso: boolean) {
    this.#c = c;
    this.#fd = fd;
    this.#gso = gso;
    this.#errno = c.__errno_location();
    this.#sendIovView = new DataView(this.#sendIov.buffer);
    this.#sendHeaderView = new DataView(this.#sendHeaders.buffer);
    this.#controlView = new DataView(this.#control.buffer);
    this.#recvHeaderView = new DataView(this.#recvHeaders.buffer);
    const sendBase = address(this.#sendArena);
    for (let i = 0; i < BATCH; i++) {
      this.#sendSlots.push(
        this.#sendArena.subarray(i * SEND_SLOT_BYTES, (i + 1) * SEND_SLOT_BYTES),
      );
      this.#slotAddr.push(sendBase + BigInt(i * SEND_SLOT_BYTES));
    }
    this.#sendIovAddr = address(this.#sendIov);
    this.#sendNamesAddr = address(this.#sendNames);
    this.#controlAddr = address(this.#control);
    // Receive headers never change: one slot, one sockaddr, one iovec each.
    const recvBase = address(this.#recvArena);
    const recvNames = address(this.#recvNames);
    const recvIovView = new DataView(this.#recvIov.buffer);
    const recvIovAddr = address(this.#recvIov);
    for (let i = 0; i < BATCH; i++) {
      recvIovView.setBigUint64(i * IOVEC, recvBase + BigInt(i * RECV_SLOT_BYTES), true);
      recvIovView.setBigUint64(i * IOVEC + 8, BigInt(RECV_SLOT_BYTES), true);
      const h = i * MMSGHDR;
      this.#recvHeaderView.setBigUint64(h, recvNames + BigInt(i * SOCKADDR), true);
      this.#recvHeaderView.setUint32(h + 8, SOCKADDR, true);
      this.#recvHeaderView.setBigUint64(h + 16, recvIovAddr + BigInt(i * IOVEC), true);
      this.#recvHeaderView.setBigUint64(h + 24, 1n, true);
    }
  }

  /**
   * Batched I/O for the UDP socket Deno bound to `local`, or null where it
   * cannot be had (no FFI permission, not Linux, socket not found). GSO is
   * used when the kernel accepts `UDP_SEGMENT` on the socket and `gso` allows.
   */
  static open(local: Deno.NetAddr, options: { gso?: boolean } = {}): BatchedDatagrams | null {
    const c = libc();
    if (!c) return null;
    const fd = socketDescriptor(local);
    if (fd === null) return null;
    let gso = false;
    if (options.gso !== false) {
      // Setting a default segment size of 0 probes for the option without changing anything.
      gso = c.setsockopt(fd, SOL_UDP, UDP_SEGMENT, new Uint8Array(4), 4) === 0;
    }
    try {
      return new BatchedDatagrams(c, fd, gso);
    } catch {
      return null; // no permission to take buffer addresses (FFI revoked already)
    }
  }

  /** Send slot `i` (0 ≤ i < BATCH), for quiche to write a datagram into. */
  sendSlot(i: number): Uint8Array {
    return this.#sendSlots[i];
  }

  /**
   * Sends slots 0..count-1 (`lengths[i]` bytes each, to `to[i]`), in order,
   * in one system call. Returns how many left; fewer than `count` (even 0)
   * when the socket buffer is full or the call failed: the caller sends the
   * rest another way. Consecutive datagrams to one peer of one size (the last
   * may be shorter) share a header and go as one GSO send.
   */
  send(count: number, lengths: readonly number[], to: readonly HostPort[]): number {
    if (!this.#open || count === 0) return 0;
    const headers = this.#sendHeaderView;
    const iov = this.#sendIovView;
    // Which datagram each header starts at, to turn headers sent into datagrams sent.
    const starts: number[] = [];
    let i = 0;
    while (i < count) {
      const name = this.#name(to[i]);
      if (name === null) break; // an address we cannot encode: Deno's path says why
      const h = starts.length;
      starts.push(i);
      this.#sendNames.set(name, h * SOCKADDR);
      let segments = 1;
      let bytes = lengths[i];
      if (this.#gso) {
        // Same peer, same size (the last one may be shorter), within the kernel's bounds.
        while (
          i + segments < count && segments < GSO_MAX_SEGMENTS &&
          to[i + segments] === to[i] && lengths[i + segments] <= lengths[i] &&
          bytes + lengths[i + segments] <= GSO_MAX_BYTES
        ) {
          const last = lengths[i + segments] < lengths[i];
          bytes += lengths[i + segments];
          segments++;
          if (last) break;
        }
      }
      for (let k = 0; k < segments; k++) {
        iov.setBigUint64((i + k) * IOVEC, this.#slotAddr[i + k], true);
        iov.setBigUint64((i + k) * IOVEC + 8, BigInt(lengths[i + k]), true);
      }
      const at = h * MMSGHDR;
      headers.setBigUint64(at, this.#sendNamesAddr + BigInt(h * SOCKADDR), true);
      headers.setUint32(at + 8, name.byteLength, true);
      headers.setBigUint64(at + 16, this.#sendIovAddr + BigInt(i * IOVEC), true);
      headers.setBigUint64(at + 24, BigInt(segments), true);
      if (segments > 1) {
        const c = h * CMSG_SPACE_U16;
        this.#controlView.setBigUint64(c, 18n, true); // CMSG_LEN(sizeof(uint16_t))
        this.#controlView.setInt32(c + 8, SOL_UDP, true);
        this.#controlView.setInt32(c + 12, UDP_SEGMENT, true);
        this.#controlView.setUint16(c + 16, lengths[i], true);
        headers.setBigUint64(at + 32, this.#controlAddr + BigInt(c), true);
        headers.setBigUint64(at + 40, BigInt(CMSG_SPACE_U16), true);
      } else {
        headers.setBigUint64(at + 32, 0n, true);
        headers.setBigUint64(at + 40, 0n, true);
      }
      headers.setInt32(at + 48, 0, true);
      i += segments;
    }
    if (starts.length === 0) return 0;
    const sent = this.#c.sendmmsg(this.#fd, this.#sendHeaders, starts.length, MSG_DONTWAIT);
    if (sent <= 0) {
      // EAGAIN: the socket buffer is full. EIO or EINVAL with segments: the device cannot segment.
      if (sent < 0 && starts.length < i && [EIO, EINVAL].includes(this.#lastError())) {
        this.#gso = false;
      }
      return 0;
    }
    return sent === starts.length ? i : starts[sent];
  }

  #lastError(): number {
    this.#c.memcpy(new Uint8Array(this.#errnoOut.buffer), this.#errno, 4n);
    return this.#errnoOut[0];
  }

  /** The path in use (always "batched"), and whether GSO is on (it goes off if a device refuses it). */
  get mode(): DatagramIoMode {
    return { path: "batched", gso: this.#gso };
  }

  /** The encoded sockaddr of `to`, cached. */
  #name(to: HostPort): Uint8Array | null {
    const key = `${to.host}|${to.port}`;
    let name = this.#names.get(key);
    if (name === undefined) {
      const out = new Uint8Array(SOCKADDR);
      const length = writeSockaddr(out, to);
      if (length === 0) return null;
      name = out.subarray(0, length);
      if (this.#names.size >= 256) this.#names.clear();
      this.#names.set(key, name);
    }
    return name;
  }

  /**
   * Receives what has arrived, without waiting: up to BATCH datagrams.
   * Returns how many (0 when none, or on any error: the caller then waits
   * with Deno's op, which reports errors). Read them with `datagram(i)` and
   * `from(i)` before the next call.
   */
  receive(): number {
    if (!this.#open) return 0;
    const received = this.#c.recvmmsg(this.#fd, this.#recvHeaders, BATCH, MSG_DONTWAIT, null);
    return received > 0 ? received : 0;
  }

  /** The `i`-th datagram of the last `receive`, a view valid until the next. */
  datagram(i: number): Uint8Array {
    const length = this.#recvHeaderView.getUint32(i * MMSGHDR + MSG_LEN, true);
    return this.#recvArena.subarray(i * RECV_SLOT_BYTES, i * RECV_SLOT_BYTES + length);
  }

  /** Who sent the `i`-th datagram of the last `receive`. */
  from(i: number): HostPort {
    const n = this.#recvNames;
    const at = i * SOCKADDR;
    const port = (n[at + 2] << 8) | n[at + 3];
    if ((n[at] | (n[at + 1] << 8)) !== AF_INET) return { host: formatIpv6(n, at + 8), port };
    // Compared as numbers first: no string per datagram while the peer stays the same.
    const address = ((n[at + 4] << 24) | (n[at + 5] << 16) | (n[at + 6] << 8) | n[at + 7]) >>> 0;
    const last = this.#lastPeer;
    if (last.address === address && last.from.port === port) return last.from;
    const from = { host: `${n[at + 4]}.${n[at + 5]}.${n[at + 6]}.${n[at + 7]}`, port };
    this.#lastPeer = { address, from };
    return from;
  }

  /** Stops using the descriptor: call before Deno closes the socket (its number may be reused). */
  close(): void {
    this.#open = false;
  }
}

/**
 * The datagram path endpoints of this process take: probed once, on a UDP
 * socket of its own on loopback (for `qfaas version` and the metrics). An
 * endpoint opened after FFI is revoked (a function's own client in a worker)
 * keeps Deno's ops whatever this says.
 */
export function datagramIoSupport(): DatagramIoMode {
  if (support === undefined) {
    let forced = false;
    try {
      forced = Deno.env.get(DATAGRAM_IO_ENV) === "ops";
    } catch { /* no permission to read it: not forced */ }
    if (forced) return support = OPS_MODE;
    let socket: Deno.DatagramConn | null = null;
    try {
      socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const batch = BatchedDatagrams.open(socket.addr as Deno.NetAddr);
      batch?.close();
      support = batch?.mode ?? OPS_MODE;
    } catch {
      support = OPS_MODE;
    } finally {
      socket?.close();
    }
  }
  return support;
}

let support: DatagramIoMode | undefined;
