// Test and bench helper: spawns a server script (by default quic/testdata/echo_server.ts)
// as a real process, configured through the environment, and waits for its ports.
import type { TrustDomain } from "./_test_helpers.ts";

export interface ServerProcess {
  port: number;
  /** HTTP/1.1 and HTTPS ports when started with `http: true`. */
  http?: number;
  https?: number;
  stop(): Promise<void>;
}

/** Starts a fresh server process with the domain's leaf and `ticketKey`; resolves once it is warm. */
export async function spawnServer(
  domain: TrustDomain,
  ticketKey: Uint8Array,
  options: { hostname?: string; http?: boolean; limits?: Record<string, number>; script?: URL } =
    {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      "--v8-flags=--expose-gc",
      (options.script ?? new URL("./testdata/echo_server.ts", import.meta.url)).pathname,
    ],
    env: {
      QFAAS_TEST_QUIC: JSON.stringify({
        cert: domain.leaf.cert,
        key: domain.leaf.key,
        ca: domain.ca.cert,
        ticketKey: ticketKey.toBase64(),
        hostname: options.hostname,
        http: options.http,
        limits: options.limits,
      }),
    },
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`QUIC test server exited before it was ready: ${text}`);
    text += value;
  }
  const { port, http, https } = JSON.parse(text.split("\n")[0]);
  return {
    port,
    http,
    https,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel();
    },
  };
}
