/**
 * The userspace delay line (`delay_line.c`): built on first use with the
 * system C compiler into a cache directory keyed by a hash of its source, run
 * as one process per test bed, and steered over its stdin.
 *
 * @module
 */
import { TestbedError } from "./errors.ts";

/** Debian packages that build the delay line. */
const COMPILER_PACKAGES = "gcc libc6-dev";
const CFLAGS = ["-O2", "-Wall", "-Wextra", "-std=gnu11"];

/** Where built binaries are cached: `$XDG_CACHE_HOME/qfaas`, else `~/.cache/qfaas`. */
export function cacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/qfaas`;
  const home = Deno.env.get("HOME");
  return home ? `${home}/.cache/qfaas` : `/tmp/qfaas-cache-${Deno.uid() ?? "user"}`;
}

async function readSource(): Promise<string> {
  const url = new URL("./delay_line.c", import.meta.url);
  if (url.protocol === "file:") return await Deno.readTextFile(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Cannot fetch ${url}: ${response.status}`);
  return await response.text();
}

async function hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

let built: Promise<string> | undefined;

/**
 * The path of the delay line binary, compiling it first if the cache lacks
 * this version of the source. Throws a TestbedError naming the Debian packages
 * when there is no compiler or no C library headers.
 */
export function buildDelayLine(): Promise<string> {
  built ??= compile().catch((error) => {
    built = undefined;
    throw error;
  });
  return built;
}

async function compile(): Promise<string> {
  const source = await readSource();
  const dir = cacheDir();
  const path = `${dir}/delay_line-${await hex([source, ...CFLAGS].join("\0"))}`;
  try {
    if ((await Deno.stat(path)).isFile) return path;
  } catch { /* not built yet */ }
  await Deno.mkdir(dir, { recursive: true });
  // Build beside the target and rename, so parallel runs never see half a file.
  const partial = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
  const errors: string[] = [];
  for (const compiler of [Deno.env.get("CC"), "cc", "gcc", "clang"]) {
    if (!compiler) continue;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(compiler, {
        args: [...CFLAGS, "-x", "c", "-o", partial, "-"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(source)).catch(() => {});
    await writer.close().catch(() => {});
    const output = await child.output();
    if (output.code === 0) {
      await Deno.rename(partial, path);
      return path;
    }
    await Deno.remove(partial).catch(() => {});
    errors.push(`${compiler}: ${new TextDecoder().decode(output.stderr).trim()}`);
    // A compiler that ran and failed will not be helped by the next one.
    break;
  }
  const detail = errors.join("\n");
  const missingHeaders = /No such file or directory|fatal error/.test(detail);
  throw new TestbedError(
    "delays",
    errors.length === 0
      ? `Cannot build the delay line: no C compiler (cc, gcc, clang); apt-get install ${COMPILER_PACKAGES}`
      : missingHeaders
      ? `Cannot build the delay line: C headers missing; apt-get install ${COMPILER_PACKAGES}`
      : "Cannot build the delay line",
    detail,
  );
}

/** How to start a delay line. */
export interface DelayLineOptions {
  /** A name that identifies the process (it appears in its command line). */
  name: string;
  /** The hub namespace, where the hosts' veth peers are. */
  hubNamespace: string;
  /** Hub-side interface name and the address of the host behind it, per host. */
  links: { hubLink: string; address: string }[];
  /** The initial one-way delay, microseconds. */
  delayUs: number;
  /** SCHED_FIFO priority to ask for (0: do not ask; default 50). */
  realtimePriority?: number;
  /** MiB of frames it may hold (default 16); beyond that it drops, like a full router queue. */
  queueMb?: number;
}

/** Counters of a running delay line. */
export interface DelayLineStats {
  /** Frames read. */
  rx: number;
  /** Frames forwarded. */
  tx: number;
  /** Frames lost: queue full or send failed. */
  dropped: number;
  /** Frames not addressed to any host of the test bed. */
  ignored: number;
  /** Frames waiting now. */
  queued: number;
  /** Mean and worst time a frame left after its due time, µs. */
  lateMeanUs: number;
  /** Worst lateness, µs. */
  lateMaxUs: number;
  /** Learnt 90th percentile of timer wake-up lateness, µs (the busy-wait lead). */
  wakeP90Us: number;
}

/** A running delay line process; commands go over its stdin, one at a time. */
export class DelayLine {
  /** The process id. */
  readonly pid: number;
  /** Whether it runs under SCHED_FIFO. */
  readonly realtime: boolean;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  #queue: Promise<unknown> = Promise.resolve();
  #stderr: Promise<string>;
  #closed = false;

  private constructor(
    child: Deno.ChildProcess,
    lines: AsyncIterator<string>,
    stderr: Promise<string>,
    realtime: boolean,
  ) {
    this.pid = child.pid;
    this.realtime = realtime;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#lines = lines;
    this.#stderr = stderr;
  }

  /**
   * Builds (if needed) and starts a delay line, resolving once it has opened
   * its sockets. `onSpawn` receives the process at once, so a caller can kill
   * it while it starts (Deno's handle never signals a reaped, reused pid).
   */
  static async start(
    options: DelayLineOptions,
    onSpawn: (child: Deno.ChildProcess) => void = () => {},
  ): Promise<DelayLine> {
    const binary = await buildDelayLine();
    const args = [
      "--name",
      options.name,
      "--netns",
      `/run/netns/${options.hubNamespace}`,
      "--delay-us",
      String(Math.round(options.delayUs)),
      "--rt",
      String(options.realtimePriority ?? 50),
      "--queue-mb",
      String(options.queueMb ?? 16),
      ...options.links.flatMap((link) => ["--link", `${link.hubLink}=${link.address}`]),
    ];
    const child = new Deno.Command(binary, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    onSpawn(child);
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines())
      [Symbol.asyncIterator]();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      lines.next(),
      new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), 5_000)),
    ]);
    clearTimeout(timer);
    if (first === "timeout" || first.done || !first.value.startsWith("ready ")) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      const status = await child.status;
      await lines.return?.();
      throw new TestbedError(
        "delays",
        first === "timeout"
          ? "The delay line did not start within 5 s"
          : `The delay line exited with ${status.code} while starting`,
        await stderr,
      );
    }
    // An idle delay line must not keep the program alive: a test bed nobody
    // closed is removed by the exit handler (see testbed.ts) instead.
    child.unref();
    return new DelayLine(child, lines, stderr, first.value.includes("rt=1"));
  }

  /** Sets the one-way delay in microseconds; resolves once it applies. */
  async setDelayUs(us: number): Promise<void> {
    if (!Number.isFinite(us) || us < 0 || us > 10_000_000) {
      throw new RangeError(`Cannot set the delay: received ${us} µs, expected 0 to 10 s`);
    }
    const value = Math.round(us);
    const reply = await this.#command(`delay_us ${value}`);
    if (reply !== `ok delay_us ${value}`) {
      throw new TestbedError("rtt", "The delay line refused the delay", reply);
    }
  }

  /** Reads the counters. */
  async stats(): Promise<DelayLineStats> {
    const reply = await this.#command("stats");
    const field = (key: string) => Number(new RegExp(`${key}=([\\d.]+)`).exec(reply)?.[1] ?? NaN);
    return {
      rx: field("rx"),
      tx: field("tx"),
      dropped: field("dropped"),
      ignored: field("ignored"),
      queued: field("queued"),
      lateMeanUs: field("late_mean_us"),
      lateMaxUs: field("late_max_us"),
      wakeP90Us: field("wake_p90_us"),
    };
  }

  #command(line: string): Promise<string> {
    const next = this.#queue.then(async () => {
      if (this.#closed) throw new TestbedError("rtt", "The delay line is closed");
      this.#child.ref(); // keep the program alive while it waits for the reply
      try {
        await this.#stdin.write(new TextEncoder().encode(line + "\n"));
        const reply = await this.#lines.next();
        if (reply.done) {
          throw new TestbedError("rtt", "The delay line exited", await this.#stderr);
        }
        return reply.value;
      } finally {
        if (!this.#closed) this.#child.unref();
      }
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Kills the process at once, without waiting (for exit handlers). */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* exited */ }
  }

  /** Stops the process (stdin closes; SIGKILL after `graceMs`) and waits for it. Idempotent. */
  async close(graceMs = 2_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.ref();
    // A command still waiting for its reply ends when the process does.
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited */ }
    }, graceMs);
    await this.#child.status;
    clearTimeout(timer);
    // Read to the end so the pipes close.
    while (!(await this.#lines.next()).done) { /* discard */ }
    await this.#stderr;
  }
}

/** Splits a text stream into lines (without the newline). */
function splitLines(): TransformStream<string, string> {
  let buffered = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (buffered) controller.enqueue(buffered);
    },
  });
}
