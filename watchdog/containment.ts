/**
 * What a worker gives up before its function's code loads. The watchdog
 * needs FFI (the QUIC binding, socket buffers) and, for an upstream, a
 * subprocess; function code gets neither. Revoking in the process costs
 * nothing per request, and what was opened before keeps working: the
 * binding's handle and libc's. With `--no-prompt`, a later
 * `Deno.permissions.request` is denied.
 *
 * Read, write, net and env are narrowed by the worker's flags instead (see
 * invoker/worker_process.ts), because a broad grant cannot be narrowed from
 * inside; its environment holds no key material (see contract.ts).
 *
 * @module
 */
import { openSocketBuffers } from "../quic/mod.ts";

/** What the function keeps, from its configuration. */
export interface Containment {
  /** `allow_ffi`: the function keeps FFI (native addons); containment is lifted. */
  allowFfi: boolean;
}

/** Revokes FFI (unless `allowFfi`) and subprocesses for the rest of the process's life. */
export function containFunction(containment: Containment): void {
  openSocketBuffers();
  if (!containment.allowFfi) Deno.permissions.revokeSync({ name: "ffi" });
  Deno.permissions.revokeSync({ name: "run" });
}
