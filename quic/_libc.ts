/**
 * libc through FFI, for what Deno has no API for on a UDP socket: its
 * buffers (socket_buffers.ts) and batched I/O (datagram_io.ts). One library,
 * opened once; a worker opens it before it revokes FFI (a loaded symbol
 * stays callable after that).
 *
 * @module
 */

const SYMBOLS = {
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
} as const;

/** Address families (Linux): sockaddr_in and sockaddr_in6. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** The libc functions QFaaS calls. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let opened: Libc | null | undefined;

/** libc, or null where it cannot be opened (no FFI permission, not Linux). */
export function libc(): Libc | null {
  if (opened === undefined) {
    try {
      opened = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS).symbols : null;
    } catch {
      opened = null;
    }
  }
  return opened;
}
