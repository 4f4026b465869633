// The end-user host of `qfaas bench paper`: runs in its own network
// namespace and times requests to the gateway over one kept HTTP/1.1
// connection (the edge is the same for every transport; what differs is
// behind the gateway). Reads one job per line on stdin, answers one line each.
import { serveLines } from "./json_lines.ts";

/**
 * One job: `count` sequential requests, each checked. `{i}` in the URL or the
 * body becomes a number unique to each request in this process (for inputs
 * that must differ: a new photographer, a new product).
 */
export interface ClientJob {
  /** The URL to request. */
  url: string;
  /** GET or POST. */
  method: "GET" | "POST";
  /** A body to POST. */
  body?: string;
  /** Requests to time. */
  count: number;
  /** `{n}` in the URL or body becomes `start` + the request's index in this job. */
  start?: number;
  /** The exact body expected, the byte length, JSON fields, or just a status. */
  expect:
    | { text: string }
    | { bytes: number }
    | { json: Record<string, unknown> }
    | { status: number };
}

/** What a job measured. */
export interface ClientResult {
  /** Request latencies, ms, from sending to the last body byte. */
  samples: number[];
  /** The worker spawn time reported in server-timing, ms, where there was one. */
  spawnMs: number[];
  /** The worker that answered each request (`x-qfaas-worker`). */
  workers: string[];
  /** An error that ended the job early. */
  error?: string;
}

let sequence = 0;

function check(job: ClientJob, status: number, body: Uint8Array): void {
  const expected = "status" in job.expect ? job.expect.status : 200;
  if (status !== expected) {
    const text = new TextDecoder().decode(body).slice(0, 300);
    throw new Error(`${job.url} answered ${status} (expected ${expected}): ${text}`);
  }
  const text = () => new TextDecoder().decode(body);
  if ("text" in job.expect && text() !== job.expect.text) {
    throw new Error(`${job.url}: unexpected body ${JSON.stringify(text().slice(0, 200))}`);
  }
  if ("bytes" in job.expect && body.byteLength !== job.expect.bytes) {
    throw new Error(`${job.url}: ${body.byteLength} bytes, expected ${job.expect.bytes}`);
  }
  if ("json" in job.expect) {
    const got = JSON.parse(text());
    for (const [key, value] of Object.entries(job.expect.json)) {
      if (got[key] !== value) {
        throw new Error(`${job.url}: ${key} is ${got[key]}, expected ${value}`);
      }
    }
  }
}

async function run(job: ClientJob): Promise<ClientResult> {
  const result: ClientResult = { samples: [], spawnMs: [], workers: [] };
  try {
    for (let index = 0; index < job.count; index++) {
      const i = String(sequence++);
      const n = String((job.start ?? 0) + index);
      const fill = (text: string) => text.replaceAll("{i}", i).replaceAll("{n}", n);
      const url = fill(job.url);
      const body = job.body === undefined ? undefined : fill(job.body);
      const started = performance.now();
      const response = await fetch(url, {
        method: job.method,
        body,
        headers: body ? { "content-type": "application/json" } : undefined,
      });
      const answer = new Uint8Array(await response.arrayBuffer());
      result.samples.push(performance.now() - started);
      check(job, response.status, answer);
      const spawn = /spawn;dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
      if (spawn) result.spawnMs.push(Number(spawn[1]));
      result.workers.push(response.headers.get("x-qfaas-worker") ?? "");
    }
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

if (import.meta.main) {
  console.log(JSON.stringify({ ready: true }));
  await serveLines(run);
}
