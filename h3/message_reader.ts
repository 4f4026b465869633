/**
 * The frame grammar of a request or response stream (RFC 9114 §4.1): one
 * header section, DATA, optionally a trailer section, nothing after. Sans-IO:
 * bytes in, message events out, typed errors for every invalid sequence.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import { FrameReader, FrameType } from "./frames.ts";
import { decodeFieldSection, type FieldLine } from "./qpack.ts";

/** What a message stream carries, in order. */
export type MessageEvent =
  | { kind: "headers"; lines: FieldLine[] }
  | { kind: "data"; chunk: Uint8Array }
  | { kind: "trailers"; lines: FieldLine[] }
  | { kind: "end" };

/** Limits a reader enforces. */
export interface MessageLimits {
  /** Largest decoded header or trailer section (SETTINGS_MAX_FIELD_SECTION_SIZE). */
  maxFieldSectionSize: number;
  /** Largest HEADERS frame buffered before decoding. */
  maxFrameSize: number;
}

function unexpected(type: number, where: string): H3Error {
  return new H3Error(
    H3ErrorCode.H3_FRAME_UNEXPECTED,
    "connection",
    `frame type 0x${type.toString(16)} ${where} (RFC 9114 §4.1)`,
  );
}

/** Reads one request (server side) or one response (client side) from its stream's bytes. */
export class MessageReader {
  #frames: FrameReader;
  #role: "request" | "response";
  #maxFieldSectionSize: number;
  #state: "head" | "body" | "done" = "head";

  /** `role` is what the stream carries: "request" for servers, "response" for clients. */
  constructor(role: "request" | "response", limits: MessageLimits) {
    this.#role = role;
    this.#maxFieldSectionSize = limits.maxFieldSectionSize;
    this.#frames = new FrameReader({ maxFrameSize: limits.maxFrameSize });
  }

  /** Consumes stream bytes. Throws `H3Error` (or a subclass) on an invalid message. */
  push(bytes: Uint8Array): MessageEvent[] {
    const events: MessageEvent[] = [];
    for (const event of this.#frames.push(bytes)) {
      if (event.kind === "data") {
        if (this.#state !== "body") {
          throw unexpected(
            FrameType.DATA,
            this.#state === "head" ? "before HEADERS" : "after trailers",
          );
        }
        events.push(event);
        continue;
      }
      switch (event.type) {
        case FrameType.HEADERS: {
          if (this.#state === "done") throw unexpected(FrameType.HEADERS, "after trailers");
          const lines = decodeFieldSection(event.payload, this.#maxFieldSectionSize);
          if (this.#state === "body") {
            this.#state = "done";
            events.push({ kind: "trailers", lines });
          } else {
            // Interim (1xx) responses come before the final one (RFC 9114 §4.1).
            if (!this.#interim(lines)) this.#state = "body";
            events.push({ kind: "headers", lines });
          }
          break;
        }
        case FrameType.PUSH_PROMISE:
          if (this.#role === "response") {
            // We never send MAX_PUSH_ID, so no push ID is allowed (RFC 9114 §7.2.5).
            throw new H3Error(
              H3ErrorCode.H3_ID_ERROR,
              "connection",
              "PUSH_PROMISE without MAX_PUSH_ID",
            );
          }
          throw unexpected(event.type, "from a client");
        default:
          // SETTINGS, GOAWAY, MAX_PUSH_ID and CANCEL_PUSH belong on the control stream.
          throw unexpected(event.type, "on a request stream");
      }
    }
    return events;
  }

  /** The stream ended (FIN). Returns the final event, or throws if the message is incomplete. */
  finish(): MessageEvent[] {
    if (!this.#frames.atBoundary) {
      throw new H3Error(
        H3ErrorCode.H3_FRAME_ERROR,
        "connection",
        "stream ended inside a frame (RFC 9114 §7.1)",
      );
    }
    if (this.#state === "head") {
      throw new H3Error(
        H3ErrorCode.H3_REQUEST_INCOMPLETE,
        "stream",
        `stream ended before the ${this.#role} headers`,
      );
    }
    return [{ kind: "end" }];
  }

  #interim(lines: FieldLine[]): boolean {
    if (this.#role !== "response") return false;
    const status = lines.find(([name]) => name === ":status")?.[1];
    return status !== undefined && status.length === 3 && status[0] === "1";
  }
}
