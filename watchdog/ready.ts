/**
 * The ready line: the one JSON line a worker prints on stdout once it serves,
 * which is how whoever spawned it learns the port it bound.
 *
 * @module
 */

/** What the ready line says. */
export interface ReadyLine {
  /** Always true: the watchdog accepts requests. */
  ready: true;
  /** The loopback port the watchdog bound. */
  port: number;
  /** The worker's name (its certificate's DNS name). */
  worker: string;
}

/** Formats the ready line for `worker` listening on `port`. */
export function formatReady(port: number, worker: string): string {
  return JSON.stringify({ ready: true, port, worker } satisfies ReadyLine);
}

/**
 * Waits for the ready line on a worker's stdout; `undefined` if the worker
 * closed stdout first. The rest of stdout is then drained in the background,
 * so the worker never blocks on a full pipe.
 */
export async function readReady(
  stdout: ReadableStream<Uint8Array>,
): Promise<ReadyLine | undefined> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    text += value;
  }
  (async () => {
    try {
      while (!(await reader.read()).done);
    } catch { /* the process ended */ }
  })();
  return JSON.parse(text.slice(0, text.indexOf("\n"))) as ReadyLine;
}
