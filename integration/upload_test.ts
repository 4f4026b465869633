// Large uploads the way a user makes them: `qfaas dev` run as a separate
// process on a functions directory outside the repository, a function that
// counts the bytes it receives, and 100 MB sent over HTTP/1.1 and HTTP/3
// while the gateway's resident memory is sampled from /proc.
import assert from "node:assert/strict";
import { H3Client } from "../h3/mod.ts";
import { project, startDev } from "./_dev_process.ts";

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

/** A running `qfaas dev` on a project holding `count`, and the dev CA it printed. */
interface Dev extends AsyncDisposable {
  http: string;
  https: string;
  ca: string;
  pid: number;
}

async function startCountDev(): Promise<Dev> {
  const files = await project(FILES);
  try {
    const dev = await startDev(files);
    return {
      http: dev.http,
      https: dev.https,
      ca: await Deno.readTextFile(dev.caPath),
      pid: dev.child.pid,
      [Symbol.asyncDispose]: async () => {
        await dev.stop();
        await files[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await files[Symbol.asyncDispose]();
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
    await using dev = await startCountDev();
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
  await using dev = await startCountDev();
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
