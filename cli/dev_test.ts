// `qfaas dev`, `qfaas invoke` and `qfaas list` end to end: the real CLI, real listeners and workers.
import assert from "node:assert/strict";
import { NoFunctions, socketBufferHint, startDev } from "./dev.ts";

const examples = new URL("../examples/functions/", import.meta.url).pathname;
const main = new URL("../main.ts", import.meta.url).pathname;

/** Runs the qfaas CLI as a process; returns its exit code and output. */
async function qfaas(args: string[], stdin?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("dev: serves the examples; invoke (-d, @file, stdin, -X, -H, --http3) and list talk to it", async () => {
  const lines: string[] = [];
  const dev = await startDev({
    dir: examples,
    httpPort: 0,
    httpsPort: 0,
    watch: false,
    prewarm: false,
    print: (line) => lines.push(line),
    color: false,
  });
  try {
    const http = dev.gateway.http!;
    assert.match(lines[0], /^qfaas dev: preparing 3 functions \(resolving and caching/);
    assert.match(lines[1], /^qfaas dev: prepared in [\d.]+ s$/);
    assert.match(
      lines[2],
      /^qfaas dev: 4 function\(s\) from .*examples\/functions, ready in \d+ ms$/,
    );
    assert.ok(lines.some((l) => l.includes(`${http}/function/echo`)));
    assert.ok(lines.some((l) => /^Try: qfaas invoke echo -d hi$/.test(l)));

    const hi = await qfaas(["invoke", "echo", "-d", "hi", "--gateway", http]);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, "POST / hi\n");
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(file, "from a file");
    const fromFile = await qfaas(["invoke", "echo/f?x=1", "-d", `@${file}`, "--gateway", http]);
    assert.equal(fromFile.stdout, "POST /f?x=1 from a file\n");
    const piped = await qfaas(["invoke", "echo", "-X", "PUT", "--gateway", http], "piped in");
    assert.equal(piped.stdout, "PUT / piped in\n");
    const headers = await qfaas([
      "invoke",
      "echo",
      "-i",
      "-H",
      "x-one: 1",
      "-H",
      "x-two: 2",
      "--gateway",
      http,
    ]);
    assert.match(headers.stdout, /^200 OK\n/);
    assert.match(headers.stdout, /x-qfaas-transport: h3/);
    const h3 = await qfaas([
      "invoke",
      "echo",
      "-d",
      "over h3",
      "--http3",
      "--gateway",
      dev.gateway.https!,
    ]);
    assert.equal(h3.code, 0, h3.stderr);
    assert.equal(h3.stdout, "POST / over h3\n");
    const missing = await qfaas(["invoke", "nope", "--gateway", http]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope answered 404/);
    const down = await qfaas(["invoke", "echo", "--gateway", "http://127.0.0.1:9"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Is `qfaas dev` running\?/);

    const list = await qfaas(["list", "--gateway", http]);
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.trim().split("\n").map((row) => row.split(/\s+/));
    assert.deepEqual(rows[0], ["NAME", "RUNTIME", "TRANSPORT", "WORKERS", "INVOCATIONS"]);
    assert.deepEqual(rows.find((r) => r[0] === "echo"), ["echo", "deno", "h3", "1", "5"]);
    assert.deepEqual(rows.find((r) => r[0] === "hello-python"), [
      "hello-python",
      "python",
      "h3",
      "0",
      "0",
    ]);
    assert.deepEqual(rows.map((r) => r[0]).slice(1), ["chain", "echo", "hello-python", "megabyte"]);
  } finally {
    await dev.stop();
  }
});

Deno.test("dev: an edited function is reloaded; a request in flight finishes on the old code", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/greet`);
  const source = (word: string) =>
    `export default async (req: Request) => {
  if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 800));
  return new Response("${word}");
};\n`;
  await Deno.writeTextFile(`${dir}/greet/main.ts`, source("old"));
  const lines: string[] = [];
  const dev = await startDev({
    dir,
    httpPort: 0,
    httpsPort: 0,
    prewarm: false,
    print: (line) => lines.push(line),
    color: false,
  });
  try {
    const url = `${dev.gateway.http}/function/greet`;
    assert.equal(await (await fetch(url)).text(), "old");
    const inFlight = fetch(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 200));
    const reloaded = dev.nextReload();
    await Deno.writeTextFile(`${dir}/greet/main.ts`, source("new"));
    assert.deepEqual(await reloaded, ["greet"]);
    assert.equal(await (await fetch(url)).text(), "new");
    const old = await inFlight;
    assert.equal(old.status, 200);
    assert.equal(await old.text(), "old", "the request in flight was not dropped");
    assert.ok(lines.some((l) => l.startsWith("[greet] reloading")));

    const added = dev.nextReload();
    await Deno.mkdir(`${dir}/second`);
    await Deno.writeTextFile(`${dir}/second/main.ts`, `export default () => new Response("2");\n`);
    assert.deepEqual(await added, ["second"]);
    assert.equal(await (await fetch(`${dev.gateway.http}/function/second`)).text(), "2");
  } finally {
    await dev.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dev: an empty directory says what qfaas dev looks for; the CLI exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => startDev({ dir, httpPort: 0, httpsPort: 0, print: () => {} }),
      (error: Error) => error instanceof NoFunctions && /qfaas new hello/.test(error.message),
    );
    const cli = await qfaas(["dev", dir, "--port", "0", "--https-port", "0"]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /No functions found in/);
    const absent = await qfaas(["dev", `${dir}/absent`]);
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /qfaas dev looks in the directory for/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dev: hints at net.core.rmem_max only when the UDP buffers got less than asked", () => {
  assert.equal(socketBufferHint({ receive: 8 * 1024 * 1024, send: 8 * 1024 * 1024 }), null);
  assert.match(socketBufferHint({ receive: 425_984, send: 425_984 })!, /208 KiB.*rmem_max=4194304/);
  assert.match(socketBufferHint(null)!, /system default.*--allow-ffi/);
});
