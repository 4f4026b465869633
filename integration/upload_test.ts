// Large uploads the way a user makes them: `qfaas dev` run as a separate
// process on a functions directory outside the repository, a function that
// counts the bytes it receives, and 100 MB sent over HTTP/1.1 and HTTP/3
// while the gateway's resident memory is sampled from /proc.
import assert from "node:assert/strict";
import { join } from "node:path";
import { H3Client } from "../h3/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const KiB = 1024;
const MiB = 1024 * KiB;
/** The upload: 100 MB. */
const UPLOAD_BYTES = 100 * MiB;
/** The resource bound: the gateway's RSS may grow by less than this during the upload. */
const RSS_GROWTH_LIMIT = 64 * MiB;

const FILES: Record<string, string> = {
  "count/main.ts": `export default async (req: Request) => {
  let n = 0;
  for await (const c of req.body!) n += c.byteLength;
  return Response.json({ bytes: n });
};\n`,
  "count/qfaas.json": `{ "max_body": "128Mi" }\n`,
};

/** A running `qfaas dev`: its URLs, the dev CA it printed, and its process. */
interface Dev extends AsyncDisposable {
  http: string;
  https: string;
  ca: string;
  pid: number;
  /** Everything it printed so far. */
  lines: string[];
}

async function startDev(): Promise<Dev> {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_upload_" });
  for (const [path, text] of Object.entries(FILES)) {
    await Deno.mkdir(join(dir, "functions", path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, "functions", path), text);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "dev", join(dir, "functions"), "--port", "0", "--https-port", "0"]
      .concat(["--no-watch"]),
    cwd: dir,
    env: { XDG_CACHE_HOME: join(dir, "cache"), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* it has exited already */ }
    await child.status;
    await reading;
    await Deno.remove(dir, { recursive: true });
  };
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (let i = 0; i < 600; i++) {
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`qfaas dev printed no line ${pattern}:\n${lines.join("\n")}`);
  };
  try {
    const http = (await waitFor(/^\s+HTTP\/1\.1\s+(http:\S+)/))[1];
    const https = (await waitFor(/^\s+HTTPS\s+(https:\S+)\s+HTTP\/3 on UDP port \d+/))[1];
    const caPath = (await waitFor(/^\s+CA\s+(\S+\.pem)/))[1];
    return {
      http,
      https,
      ca: await Deno.readTextFile(caPath),
      pid: child.pid,
      lines,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `size` bytes made on demand, 64 KiB at a time: the test never holds the upload. */
function generated(size: number): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const chunk = new Uint8Array(Math.min(64 * KiB, left)).fill(0x71);
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

/** The resident set size of process `pid`, bytes (VmRSS in /proc/<pid>/status). */
function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * KiB;
}

/** Runs `work` while sampling `pid`'s RSS every 20 ms; returns its result, RSS before and peak. */
async function sampled<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; before: number; peak: number }> {
  const before = rss(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss(pid))), 20);
  try {
    const result = await work();
    return { result, before, peak: Math.max(peak, rss(pid)) };
  } finally {
    clearInterval(timer);
  }
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/** How one upload went, printed for docs/results/upload.md. */
function report(label: string, run: { before: number; peak: number }, ms: number): void {
  console.log(
    `upload ${label}: gateway RSS ${mib(run.before)} MiB before, peak ${mib(run.peak)} MiB, ` +
      `growth ${mib(run.peak - run.before)} MiB; ${
        (UPLOAD_BYTES / MiB / (ms / 1000)).toFixed(0)
      } MiB/s`,
  );
}

/** Sends a body to the count function over HTTP/1.1 or HTTP/3. */
type Send = (body: BodyInit) => Promise<Response>;

/** The two ingresses of `dev`: HTTP/1.1 with fetch, HTTP/3 with the project's client. */
function ingresses(dev: Dev, h3: H3Client): [label: string, send: Send][] {
  return [
    [
      "HTTP/1.1",
      (body) =>
        fetch(
          `${dev.http}/function/count`,
          { method: "POST", body, duplex: "half" } as RequestInit,
        ),
    ],
    ["HTTP/3", (body) => h3.fetch(`${dev.https}/function/count`, { method: "POST", body })],
  ];
}

for (const ingress of ["HTTP/1.1", "HTTP/3"]) {
  Deno.test(`qfaas dev: a 100 MB upload over ${ingress} reaches the function whole, the gateway's RSS growing under 64 MiB`, async () => {
    // A gateway of its own: memory one upload claimed does not hide the other's.
    await using dev = await startDev();
    const h3 = new H3Client({ ca: dev.ca });
    try {
      const send = ingresses(dev, h3).find(([label]) => label === ingress)![1];
      // The first request starts the worker (a cold start), and a 4 MiB one takes every code
      // path a large body takes (compiled once): the upload then measures what it holds.
      assert.deepEqual(await (await send("warm")).json(), { bytes: 4 });
      assert.deepEqual(await (await send(generated(4 * MiB))).json(), { bytes: 4 * MiB });
      const started = performance.now();
      const run = await sampled(dev.pid, async () => {
        const response = await send(generated(UPLOAD_BYTES));
        return { status: response.status, body: await response.json() };
      });
      report(ingress, run, performance.now() - started);
      assert.equal(run.result.status, 200, JSON.stringify(run.result.body));
      assert.deepEqual(run.result.body, { bytes: 104857600 });
      assert.ok(
        run.peak - run.before < RSS_GROWTH_LIMIT,
        `the gateway's RSS grew by ${mib(run.peak - run.before)} MiB`,
      );
    } finally {
      await h3.close();
    }
  });
}

Deno.test("qfaas dev: a 129 MiB upload gets 413 with a JSON error over HTTP/1.1 and HTTP/3, and the gateway serves on", async () => {
  await using dev = await startDev();
  const h3 = new H3Client({ ca: dev.ca });
  try {
    for (const [label, send] of ingresses(dev, h3)) {
      const response = await send(generated(129 * MiB));
      assert.equal(response.status, 413, label);
      assert.deepEqual(await response.json(), {
        error: `request body exceeds ${128 * MiB} bytes`,
        function: "count",
        limit: 128 * MiB,
      });
      assert.deepEqual(await (await send("after")).json(), { bytes: 5 }, label);
    }
  } finally {
    await h3.close();
  }
});
