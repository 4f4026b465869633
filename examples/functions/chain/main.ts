// chain: the ServerlessBench nested chain. f(n) calls f(n-1) through the
// gateway and returns n; f(1) returns 1. ?via=fetch makes the calls with a
// plain fetch to QFAAS_GATEWAY_URL instead of qfaas/chain: both ride QUIC 0-RTT.
import { invoke } from "qfaas/chain";

export default async (request: Request): Promise<Response> => {
  const url = new URL(request.url);
  const n = Number(url.searchParams.get("n") ?? "1");
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    return Response.json({ error: "n must be an integer from 1 to 64" }, { status: 400 });
  }
  if (n === 1) return Response.json({ n: 1, hops: [] });
  const via = url.searchParams.get("via") === "fetch" ? "fetch" : "chain";
  const next = `chain?n=${n - 1}&via=${via}`;
  const response = via === "fetch"
    ? await fetch(`${Deno.env.get("QFAAS_GATEWAY_URL")}/function/${next}`)
    : await invoke(next);
  if (!response.ok) {
    return Response.json({ error: `f(${n - 1}) failed`, status: response.status }, { status: 502 });
  }
  const inner = await response.json() as { n: number; hops: string[] };
  const hop = response.headers.get("x-qfaas-0rtt") ?? "unknown";
  return Response.json({ n: inner.n + 1, hops: [hop, ...inner.hops] });
};
