/**
 * libc through FFI, for what Deno has no API for on a UDP socket: its
 * buffers (socket_buffers.ts) and batched I/O (datagram_io.ts).
 *
 * The symbols opened are never exported, not from here nor from the modules
 * that use them: a function shares its worker's isolate, may import any module
 * the worker has loaded (Deno checks no permission for those), and libc's
 * sendmmsg, recvmmsg and memcpy with pointers of its own choosing would read
 * and write the process's memory, past every permission. Each user opens its
 * own copy through `openLibc` or `lazyLibc` (which need FFI, so they fail once
 * a worker has revoked it) and keeps it private; a symbol opened before the revoke stays
 * callable by the code that holds it.
 *
 * @module
 */

/** Address families (Linux): sockaddr_in and sockaddr_in6. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * A module's own libc opener: `openLibc(symbols)` on the first call, the same
 * symbols (or null) on every call after. Keep it in a module-private const.
 */
export function lazyLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): () => Deno.DynamicLibrary<S>["symbols"] | null {
  let opened: Deno.DynamicLibrary<S>["symbols"] | null | undefined;
  return () => opened === undefined ? (opened = openLibc(symbols)) : opened;
}

/** libc with `symbols`, or null where it cannot be opened (no FFI permission, not Linux). */
export function openLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.dlopen("libc.so.6", symbols).symbols;
  } catch {
    return null;
  }
}
