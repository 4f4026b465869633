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
 * closed stdout first. The rest of stdout (the function's own output) then
 * goes to `onLine` line by line, in the background, so the worker never
 * blocks on a full pipe.
 */
export async function readReady(
  stdout: ReadableStream<Uint8Array>,
  onLine: (line: string) => void = () => {},
): Promise<ReadyLine | undefined> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    text += value;
  }
  const end = text.indexOf("\n");
  const ready = JSON.parse(text.slice(0, end)) as ReadyLine;
  forwardLines(reader, text.slice(end + 1), onLine);
  return ready;
}

/** Splits what `reader` yields into lines for `onLine`, starting with `pending`. */
export async function forwardLines(
  reader: ReadableStreamDefaultReader<string>,
  pending: string,
  onLine: (line: string) => void,
): Promise<void> {
  let text = pending;
  try {
    for (;;) {
      let end;
      while ((end = text.indexOf("\n")) >= 0) {
        onLine(text.slice(0, end));
        text = text.slice(end + 1);
      }
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } catch { /* the process ended */ }
  if (text) onLine(text);
}
