/**
 * Reading a worker's stdout: waiting for its ready line (its format is in
 * contract.ts), then passing every other line on.
 *
 * @module
 */
import { parseReady, type ReadyLine } from "./contract.ts";

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
