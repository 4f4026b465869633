// A test helper run inside a test-bed host (`ip netns exec NS deno run ...`).
//
//   serve PORT        UDP echo and a TCP listener on PORT; prints "ready".
//   probe HOST PORT   prints "ready", then for each line on stdin:
//                       "round"      one UDP echo of 32 bytes and one TCP
//                                    connect: {"udpMs":..,"tcpMs":..}
//                       "echo SIZE"  one UDP echo of SIZE random bytes:
//                                    {"ms":..,"intact":..,"received":..}
//                     The caller changes the RTT between lines, so rounds at
//                     different RTTs interleave in one process.

const [mode, ...rest] = Deno.args;

if (mode === "serve") {
  const port = Number(rest[0]);
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port });
  const tcp = Deno.listen({ hostname: "0.0.0.0", port });
  console.log("ready");
  (async () => {
    for await (const connection of tcp) connection.close();
  })();
  for await (const [data, from] of udp) await udp.send(data, from);
} else if (mode === "probe") {
  const [hostname, portText] = rest;
  const port = Number(portText);
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname, port };
  const echo = async (size: number) => {
    const payload = crypto.getRandomValues(new Uint8Array(size));
    const start = performance.now();
    await udp.send(payload, to);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lost = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 2_000));
    const received = await Promise.race([udp.receive(), lost]);
    clearTimeout(timer);
    const ms = performance.now() - start;
    // A lost datagram is reported, not waited for; the pending receive ends the process.
    if (received === null) return { ms, intact: false, received: 0 };
    const [reply] = received;
    const intact = reply.length === size && reply.every((byte, i) => byte === payload[i]);
    return { ms, intact, received: reply.length };
  };
  console.log("ready");
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of lines) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const [command, size] = buffered.slice(0, newline).split(" ");
      buffered = buffered.slice(newline + 1);
      if (command === "round") {
        const udpMs = (await echo(32)).ms;
        const start = performance.now();
        const connection = await Deno.connect({ hostname, port });
        const tcpMs = performance.now() - start;
        connection.close();
        console.log(JSON.stringify({ udpMs, tcpMs }));
      } else if (command === "echo") {
        console.log(JSON.stringify(await echo(Number(size))));
      }
    }
  }
  Deno.exit(0);
}
