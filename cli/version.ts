/**
 * The version of QFaaS and of what it runs on.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The QFaaS version from deno.json. */
export const VERSION: string = denoJson.version;

/** One line per component: QFaaS, Deno, V8, TypeScript, QUIC engine. */
export function versionText(): string {
  return [
    `qfaas ${VERSION}`,
    `deno ${Deno.version.deno}`,
    `v8 ${Deno.version.v8}`,
    `typescript ${Deno.version.typescript}`,
    "quic quiche 0.18 (BoringSSL) via @matrixai/quic-linux-x64 2.0.9",
  ].join("\n");
}
