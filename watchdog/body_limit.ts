/**
 * Request body limits (`max_body`), counted as the body streams, never by
 * buffering it: used by the watchdog (tls and tcp workers) and the gateway.
 *
 * @module
 */

/** The answer to a request body over `maxBodyBytes`: 413 with a JSON error and `extra` fields. */
export function tooLarge(maxBodyBytes: number, extra: Record<string, unknown> = {}): Response {
  return Response.json(
    { error: `request body exceeds ${maxBodyBytes} bytes`, ...extra },
    { status: 413 },
  );
}

/** A request body that grew past its limit while it was read. */
export class BodyTooLarge extends RangeError {
  /** Creates the error for a limit of `maxBodyBytes`. */
  constructor(readonly maxBodyBytes: number) {
    super(`Cannot read the request body: it exceeds ${maxBodyBytes} bytes`);
    this.name = "BodyTooLarge";
  }
}

/**
 * Most bytes asked of a listener's body per read. Deno's HTTP server costs
 * memory in proportion to the buffer each read offers: a bare Deno.serve
 * reading a 100 MB upload grew by ~66 MiB at 64 KiB a read, ~25 MiB at
 * 32 KiB, ~17 MiB at 16 KiB (Deno 2.9.6); through the whole gateway, 16 KiB
 * reads were also the fastest (docs/results/upload.md).
 */
const LISTENER_READ_BYTES = 16 * 1024;

/**
 * Bytes a forwarded body hands over at a time to a reader that brings no
 * buffer of its own (fetch, towards tcp and tls workers): a listener read's worth.
 */
const CHUNK_BYTES = LISTENER_READ_BYTES;

/** A bounded body, and whether it went past its limit. */
export interface BoundedBody {
  /** The body to hand on: the original, or one counted as it streams. */
  body: ReadableStream<Uint8Array> | null;
  /** True once the body went past the limit (it then failed with `BodyTooLarge`). */
  exceeded(): boolean;
}

/**
 * Bounds a request body to `maxBodyBytes` without buffering it: "too large"
 * when a declared content-length says so; else the body, counted as it
 * streams (failing with `BodyTooLarge` past the limit), unless its declared
 * length is at most `trustDeclaredUpTo`: the servers read exactly a declared
 * length (HTTP/1.1 framing; HTTP/3 checks content-length), so such a body
 * needs no counting. The gateway counts large bodies anyway, for the
 * buffer reuse of `countedBody`.
 */
export function boundBody(
  request: Request,
  maxBodyBytes: number,
  trustDeclaredUpTo: number = maxBodyBytes,
): "too large" | BoundedBody {
  const uncounted = { body: request.body, exceeded: () => false };
  if (request.body === null) return uncounted;
  const header = request.headers.get("content-length");
  // With transfer-encoding, a content-length says nothing (RFC 9112 §6.3).
  const declared = header === null || request.headers.has("transfer-encoding")
    ? null
    : Number(header);
  if (declared !== null && declared > maxBodyBytes) return "too large";
  if (declared !== null && declared <= trustDeclaredUpTo) return uncounted;
  let exceeded = false;
  const body = countedBody(request.body, maxBodyBytes, () => (exceeded = true));
  return { body, exceeded: () => exceeded };
}

/**
 * `source` as a byte stream that fails with `BodyTooLarge` once more than
 * `maxBodyBytes` have passed. A reader that brings its own buffer (BYOB, as
 * the HTTP/3 client does) has it filled straight from the source, itself read
 * BYOB when it is a byte stream (Deno.serve's bodies are): a large upload
 * then allocates nothing per chunk, and leaves no garbage to inflate the
 * gateway's memory until the collector runs.
 */
export function countedBody(
  source: ReadableStream<Uint8Array>,
  maxBodyBytes: number,
  onExceeded: () => void,
): ReadableStream<Uint8Array> {
  let byob: ReadableStreamBYOBReader | null = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    reader = source.getReader(); // not a byte stream (an HTTP/3 or node:https body)
  }
  /** What is left of the last chunk a default reader gave. */
  let rest: Uint8Array | null = null;
  let seen = 0;
  const count = (bytes: number) => {
    seen += bytes;
    if (seen <= maxBodyBytes) return;
    onExceeded();
    throw new BodyTooLarge(maxBodyBytes);
  };
  const fill = async (
    controller: ReadableByteStreamController,
    request: ReadableStreamBYOBRequest,
  ) => {
    const view = request.view!;
    const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (byob) {
      const size = Math.min(target.byteLength, LISTENER_READ_BYTES);
      const { value, done } = await byob.read(target.subarray(0, size));
      if (done) controller.close();
      else count(value.byteLength);
      // The read took the buffer over: answer with the view it gave back.
      request.respondWithNewView(value ?? target.subarray(0, 0));
      return;
    }
    if (rest === null) {
      const { value, done } = await reader!.read();
      if (done) {
        controller.close();
        request.respond(0);
        return;
      }
      rest = value;
    }
    // Copied, never transferred: a source may hand out views of a shared pool (node Buffers).
    const size = Math.min(rest.byteLength, target.byteLength);
    count(size);
    target.set(rest.subarray(0, size));
    rest = size < rest.byteLength ? rest.subarray(size) : null;
    request.respond(size);
  };
  const underlying: UnderlyingByteSource = {
    type: "bytes",
    autoAllocateChunkSize: CHUNK_BYTES,
    async pull(controller) {
      try {
        // Never null: autoAllocateChunkSize gives default readers a buffer too.
        await fill(controller, controller.byobRequest!);
      } catch (error) {
        (byob ?? reader)!.cancel(error).catch(() => {});
        throw error;
      }
    },
    cancel: (reason) => (byob ?? reader)!.cancel(reason),
  };
  return new ReadableStream(underlying);
}
