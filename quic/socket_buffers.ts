/**
 * Larger kernel buffers for the UDP sockets Deno opens. Deno has no API for
 * SO_RCVBUF, and the Linux default (208 KiB) holds only twelve 16 KiB
 * datagrams: a congestion window's burst overflows it (measured: ~2 drops per
 * 1 MB response on loopback), and each loss halves the window. quic-go and
 * quiche's own servers raise these buffers for the same reason.
 *
 * The socket is found among the process's descriptors by its bound port,
 * address family and type, and changed with `setsockopt(2)` through FFI, once.
 * Where that cannot be done (no FFI permission, not Linux, socket not found)
 * nothing changes and the caller learns it from a null result.
 *
 * @module
 */
import { AF_INET, AF_INET6, lazyLibc } from "./_libc.ts";

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Module-private: never exported (see _libc.ts). Opened when first asked for. */
const libc = lazyLibc(SYMBOLS);

/** The buffer size asked for, each way: 4 MiB (~250 datagrams of 16 KiB). */
export const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** The sizes the kernel granted, in bytes (Linux reports twice the value set, for bookkeeping). */
export interface SocketBuffers {
  /** SO_RCVBUF as the kernel reports it. */
  receive: number;
  /** SO_SNDBUF as the kernel reports it. */
  send: number;
}

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
/** Like SO_SNDBUF and SO_RCVBUF, past `net.core.wmem_max`/`rmem_max`; needs CAP_NET_ADMIN. */
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SOCK_DGRAM = 2;
/** Descriptors searched for the socket; a new socket is almost always far below. */
const MAX_FD = 8192;

function getInt(c: Libc, fd: number, name: number): number | null {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  const ok = c.getsockopt(
    fd,
    SOL_SOCKET,
    name,
    new Uint8Array(value.buffer),
    new Uint8Array(length.buffer),
  );
  return ok === 0 ? value[0] : null;
}

function setInt(c: Libc, fd: number, name: number, value: number): boolean {
  return c.setsockopt(fd, SOL_SOCKET, name, new Uint8Array(new Int32Array([value]).buffer), 4) ===
    0;
}

/** The descriptor of the UDP socket bound to `port` in `family`, or null. */
function findSocket(c: Libc, port: number, family: number): number | null {
  const address = new Uint8Array(128);
  const length = new Uint32Array(1);
  for (let fd = 3; fd < MAX_FD; fd++) {
    length[0] = address.byteLength;
    if (c.getsockname(fd, address, new Uint8Array(length.buffer)) !== 0) continue;
    // sockaddr_in and sockaddr_in6 alike: family (host order), then port (network order).
    if ((address[0] | (address[1] << 8)) !== family) continue;
    if (((address[2] << 8) | address[3]) !== port) continue;
    if (getInt(c, fd, SO_TYPE) === SOCK_DGRAM) return fd;
  }
  return null;
}

/** The descriptor of the UDP socket Deno bound to `local`, with libc; null where not found. */
function locate(local: Deno.NetAddr): { c: Libc; fd: number } | null {
  const c = libc();
  if (!c) return null;
  const fd = findSocket(c, local.port, local.hostname.includes(":") ? AF_INET6 : AF_INET);
  return fd === null ? null : { c, fd };
}

/** The descriptor of the UDP socket Deno bound to `local`, or null where it cannot be found. */
export function socketDescriptor(local: Deno.NetAddr): number | null {
  return locate(local)?.fd ?? null;
}

function sizes(c: Libc, fd: number): SocketBuffers | null {
  const receive = getInt(c, fd, SO_RCVBUF);
  const send = getInt(c, fd, SO_SNDBUF);
  return receive === null || send === null ? null : { receive, send };
}

/**
 * Opens libc now, while the process may still use FFI: a worker revokes FFI
 * before its function's code loads, and its sockets opened after that still
 * get their buffers. Returns whether libc could be opened.
 */
export function openSocketBuffers(): boolean {
  return libc() !== null;
}

/** The current buffer sizes of the UDP socket bound to `local`, or null if it is not found. */
export function socketBuffers(local: Deno.NetAddr): SocketBuffers | null {
  const found = locate(local);
  return found && sizes(found.c, found.fd);
}

/**
 * Raises the receive and send buffers of the UDP socket bound to `local` to
 * `bytes`: past the system maximum where privileged, else up to it. Returns
 * the sizes granted, or null where the socket could not be changed.
 */
export function growSocketBuffers(
  local: Deno.NetAddr,
  bytes = SOCKET_BUFFER_BYTES,
): SocketBuffers | null {
  const found = locate(local);
  if (!found) return null;
  const { c, fd } = found;
  if (!setInt(c, fd, SO_RCVBUFFORCE, bytes)) setInt(c, fd, SO_RCVBUF, bytes);
  if (!setInt(c, fd, SO_SNDBUFFORCE, bytes)) setInt(c, fd, SO_SNDBUF, bytes);
  return sizes(c, fd);
}
