// Test helpers shared by quic/ tests: a throwaway trust domain and stream I/O.
import { createCa, issueLeaf } from "../store/mod.ts";
import type { CertificateAuthority, CertifiedKey } from "../store/mod.ts";
import type { QuicStreamLike } from "./mod.ts";

export interface TrustDomain {
  ca: CertificateAuthority;
  leaf: CertifiedKey;
}

export async function trustDomain(name = "QFaaS test CA"): Promise<TrustDomain> {
  const ca = await createCa(name);
  const leaf = await issueLeaf(ca, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
  });
  return { ca, leaf };
}

export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of readable) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export async function writeAll(
  writable: WritableStream<Uint8Array>,
  data: Uint8Array,
): Promise<void> {
  const writer = writable.getWriter();
  await writer.write(data);
  await writer.close();
}

/** Serves an echo on every bidirectional stream of every connection: reads all, writes it back. */
export async function echoStream(stream: QuicStreamLike): Promise<void> {
  const body = await readAll(stream.readable!);
  await writeAll(stream.writable!, body);
}
