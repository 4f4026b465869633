/**
 * The peer's control stream (RFC 9114 §6.2.1): SETTINGS first and once, then
 * GOAWAY, MAX_PUSH_ID and CANCEL_PUSH. Sans-IO: bytes in, events out.
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import { decodeSettings, decodeSingleVarint, FrameReader, FrameType } from "./frames.ts";

/** What a control stream carries. */
export type ControlEvent =
  | { kind: "settings"; settings: Map<number, number> }
  | { kind: "goaway"; id: number }
  | { kind: "max_push_id"; id: number }
  | { kind: "cancel_push"; id: number };

/** Reads the peer's control stream. Every error it throws closes the connection. */
export class ControlReader {
  #frames = new FrameReader({ maxFrameSize: 16 * 1024 });
  #role: "client" | "server";
  #settings = false;
  #goaway = Infinity;

  /** `role` is ours: a server reads a client's control stream, and vice versa. */
  constructor(role: "client" | "server") {
    this.#role = role;
  }

  /** Consumes control stream bytes. */
  push(bytes: Uint8Array): ControlEvent[] {
    const events: ControlEvent[] = [];
    let frames;
    try {
      frames = this.#frames.push(bytes);
    } catch (error) {
      throw error instanceof H3Error && error.scope === "stream"
        ? new H3Error(error.code, "connection", error.message)
        : error;
    }
    for (const event of frames) {
      const type = event.kind === "data" ? FrameType.DATA : event.type;
      if (!this.#settings) {
        if (type !== FrameType.SETTINGS) {
          throw new H3Error(
            H3ErrorCode.H3_MISSING_SETTINGS,
            "connection",
            "control stream must start with SETTINGS",
          );
        }
        this.#settings = true;
        events.push({
          kind: "settings",
          settings: decodeSettings((event as { payload: Uint8Array }).payload),
        });
        continue;
      }
      if (event.kind === "data") throw this.#unexpected(FrameType.DATA);
      switch (event.type) {
        case FrameType.GOAWAY: {
          const id = decodeSingleVarint(event.payload, "GOAWAY");
          // A client's GOAWAY carries a push ID; a server's, a client bidi stream ID (RFC 9114 §5.2).
          if (this.#role === "client" && id % 4 !== 0) {
            throw new H3Error(
              H3ErrorCode.H3_ID_ERROR,
              "connection",
              `GOAWAY id ${id} is not a client bidi stream`,
            );
          }
          if (id > this.#goaway) {
            throw new H3Error(
              H3ErrorCode.H3_ID_ERROR,
              "connection",
              `GOAWAY id grew from ${this.#goaway} to ${id}`,
            );
          }
          this.#goaway = id;
          events.push({ kind: "goaway", id });
          break;
        }
        case FrameType.MAX_PUSH_ID:
          if (this.#role === "client") throw this.#unexpected(event.type);
          events.push({
            kind: "max_push_id",
            id: decodeSingleVarint(event.payload, "MAX_PUSH_ID"),
          });
          break;
        case FrameType.CANCEL_PUSH:
          events.push({
            kind: "cancel_push",
            id: decodeSingleVarint(event.payload, "CANCEL_PUSH"),
          });
          break;
        default:
          throw this.#unexpected(event.type);
      }
    }
    return events;
  }

  /** The control stream ended: always an error (RFC 9114 §6.2.1). */
  finish(): never {
    throw new H3Error(
      H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
      "connection",
      "the peer closed its control stream",
    );
  }

  #unexpected(type: number): H3Error {
    return new H3Error(
      H3ErrorCode.H3_FRAME_UNEXPECTED,
      "connection",
      `frame type 0x${type.toString(16)} on the control stream`,
    );
  }
}
