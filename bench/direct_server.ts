// The baseline of bench:gateway: a function module's handler on its own
// Deno.serve (HTTP/1.1, loopback), as if there were no platform at all.
// Usage: deno run -A bench/direct_server.ts MODULE; prints {"port": N}.
import { loadFunction } from "../watchdog/mod.ts";

const module = Deno.args[0];
if (!module) throw new TypeError("Usage: direct_server.ts MODULE");
const handler = await loadFunction(module);
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
console.log(JSON.stringify({ port: server.addr.port }));
Deno.addSignalListener("SIGTERM", () => server.shutdown());
