/**
 * The version of QFaaS and of what it runs on.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { datagramIoSupport } from "../quic/mod.ts";

/** The QFaaS version from deno.json. */
export const VERSION: string = denoJson.version;

/** One line per component: QFaaS, Deno, V8, TypeScript, QUIC engine, datagram I/O path. */
export function versionText(): string {
  return [
    `qfaas ${VERSION}`,
    `deno ${Deno.version.deno}`,
    `v8 ${Deno.version.v8}`,
    `typescript ${Deno.version.typescript}`,
    "quic quiche 0.18 (BoringSSL) via @matrixai/quic-linux-x64 2.0.9",
    `udp ${datagramIoText()}`,
  ].join("\n");
}

/** How this process's QUIC sockets move datagrams, in words. */
export function datagramIoText(): string {
  const mode = datagramIoSupport();
  if (mode.path === "ops") {
    return "one Deno op per datagram (no FFI, not Linux, or QFAAS_DATAGRAM_IO=ops)";
  }
  return `sendmmsg/recvmmsg batches via FFI${mode.gso ? ", UDP GSO" : ""}`;
}
