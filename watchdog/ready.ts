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

/** `line` parsed as a ready line, or null if it is anything else. */
export function parseReady(line: string): ReadyLine | null {
  if (!line.startsWith('{"ready":true')) return null;
  try {
    const parsed = JSON.parse(line);
    return parsed.ready === true && Number.isInteger(parsed.port) &&
        typeof parsed.worker === "string"
      ? parsed as ReadyLine
      : null;
  } catch {
    return null;
  }
}

/**
 * Waits for the ready line on a worker's stdout; `undefined` if the worker
 * closed stdout first. Lines before it (a function that logs while its module
 * loads) and the rest of stdout go to `onLine` line by line, the rest in the
 * background, so the worker never blocks on a full pipe.
 */
export async function readReady(
  stdout: ReadableStream<Uint8Array>,
  onLine: (line: string) => void = () => {},
): Promise<ReadyLine | undefined> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    let end;
    while ((end = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      const ready = parseReady(line);
      if (ready) {
        forwardLines(reader, text, onLine);
        return ready;
      }
      onLine(line);
    }
    const { value, done } = await reader.read();
    if (done) {
      if (text) onLine(text);
      return undefined;
    }
    text += value;
  }
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
