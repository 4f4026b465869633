/**
 * Reading a child process's output line by line, for the benchmarks that
 * drive `qfaas dev`, gateways and clients as processes of their own.
 *
 * @module
 */

/** The lines of a text stream, without their newlines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer) yield buffer;
}
