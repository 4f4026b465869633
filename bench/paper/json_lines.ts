/**
 * JSON lines between `qfaas bench paper` and its host processes (gateway,
 * end user), which run in other network namespaces: one object per line each
 * way, one request answered by one line.
 *
 * @module
 */
import { readLines } from "../lines.ts";

/** Answers each JSON line on stdin with `answer`'s result as a JSON line on stdout. */
export async function serveLines<In, Out>(answer: (message: In) => Promise<Out>): Promise<void> {
  const encoder = new TextEncoder();
  for await (const line of readLines(Deno.stdin.readable)) {
    const reply = await answer(JSON.parse(line) as In);
    await Deno.stdout.write(encoder.encode(JSON.stringify(reply) + "\n"));
  }
}

/** A host process spoken to in JSON lines; its first line says it is ready. */
export class LineProcess<Ready> implements AsyncDisposable {
  /** Its first line. */
  readonly ready: Ready;
  #child: Deno.ChildProcess;
  #lines: AsyncGenerator<string>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  private constructor(
    child: Deno.ChildProcess,
    lines: AsyncGenerator<string>,
    ready: Ready,
  ) {
    this.#child = child;
    this.#lines = lines;
    this.ready = ready;
    this.#writer = child.stdin.getWriter();
  }

  /** Starts `argv` with `env` added and waits for its first line. */
  static async start<Ready>(
    argv: string[],
    env: Record<string, string>,
    label: string,
  ): Promise<LineProcess<Ready>> {
    const [command, ...args] = argv;
    const child = new Deno.Command(command, {
      args,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = readLines(child.stdout);
    const first = await lines.next();
    if (first.done) {
      const { code } = await child.status;
      throw new Error(`The ${label} process exited (code ${code}) before it was ready`);
    }
    return new LineProcess(child, lines, JSON.parse(first.value) as Ready);
  }

  /** Sends one message and returns the answer. */
  async request<Out>(message: unknown): Promise<Out> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
    const next = await this.#lines.next();
    if (next.done) throw new Error("The process ended before it answered");
    return JSON.parse(next.value) as Out;
  }

  /** Closes its stdin (it stops) and waits; SIGKILL after 10 s. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 10_000);
    await this.#child.status;
    clearTimeout(timer);
  }
}
