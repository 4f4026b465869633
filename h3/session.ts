/**
 * One HTTP/3 connection's shared machinery, for clients and servers alike:
 * our control stream (RFC 9114 §6.2), the peer's unidirectional streams, its
 * SETTINGS and GOAWAY, and closing the connection with the right error code.
 *
 * @module
 */
import type { QuicConn, QuicStreamLike } from "../quic/mod.ts";
import { ControlReader } from "./control_reader.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";
import {
  encodeFrame,
  encodeSettings,
  encodeSingleVarint,
  FrameType,
  Setting,
  StreamType,
} from "./frames.ts";
import { readVarint } from "./varint.ts";

/** Settings of ours that peers must respect. */
export interface H3SessionOptions {
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce. Default 16 KiB. */
  maxFieldSectionSize?: number;
}

/** Resets both directions of a request stream with an error code. */
export interface StreamReset {
  reset(code: number): void;
}

/** A `StreamReset` for a request stream. */
export function streamReset(stream: QuicStreamLike): StreamReset {
  return {
    reset(code) {
      // STOP_SENDING and RESET_STREAM with the same code (RFC 9114 §4.1.1).
      stream.stopSending(code);
      stream.reset(code);
    },
  };
}

/** Counters of protocol errors, by code name, for metrics. */
export type ErrorCounters = Map<number, number>;

const DEFAULT_MAX_FIELD_SECTION = 16 * 1024;

/** The HTTP/3 layer of one QUIC connection. */
export class H3Session {
  /** The QUIC connection underneath. */
  readonly conn: QuicConn;
  /** "client" or "server": who we are. */
  readonly role: "client" | "server";
  /** The limit we advertised for header sections. */
  readonly maxFieldSectionSize: number;
  /** Resolves with the peer's SETTINGS once they arrive. */
  readonly peerSettings: Promise<Map<number, number>>;
  /** Protocol errors seen on this connection, by error code. */
  readonly errors: ErrorCounters = new Map();

  #settings = Promise.withResolvers<Map<number, number>>();
  #control: QuicStreamLike | null = null;
  #opened: Promise<void>;
  #goaway: number | null = null;
  #onGoaway: Array<(id: number) => void> = [];
  #seen = new Set<number>();
  #closed = false;

  /** Opens our control stream and starts reading the peer's streams. */
  constructor(conn: QuicConn, role: "client" | "server", options: H3SessionOptions = {}) {
    this.conn = conn;
    this.role = role;
    this.maxFieldSectionSize = options.maxFieldSectionSize ?? DEFAULT_MAX_FIELD_SECTION;
    this.peerSettings = this.#settings.promise;
    this.peerSettings.catch(() => {});
    this.#opened = this.#openStreams().catch((error) => this.fail(error));
    this.#acceptUniStreams().catch((error) => this.fail(error));
    conn.closed.then(() => {
      this.#closed = true;
      this.#settings.reject(new Error("connection closed before SETTINGS"));
    });
  }

  /** The GOAWAY id the peer sent, or null: requests on streams at or above it were not processed. */
  get goawayId(): number | null {
    return this.#goaway;
  }

  /** Calls `listener` when the peer sends GOAWAY. */
  onGoaway(listener: (id: number) => void): void {
    this.#onGoaway.push(listener);
  }

  /** Sends GOAWAY (RFC 9114 §5.2): streams at or above `id` will not be processed. */
  async goaway(id: number): Promise<void> {
    await this.#opened;
    await this.#control?.write(encodeFrame(FrameType.GOAWAY, encodeSingleVarint(id)));
  }

  /** Counts a protocol error by code. */
  count(code: number): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /**
   * Handles an error: resets the request stream (through `stream`, which owns
   * its reader and writer) or closes the connection, per the error's scope.
   */
  fail(error: unknown, stream?: StreamReset): void {
    const h3 = error instanceof H3Error
      ? error
      : new H3Error(H3ErrorCode.H3_INTERNAL_ERROR, "connection", String(error), { cause: error });
    this.count(h3.code);
    if (h3.scope === "stream" && stream) stream.reset(h3.code);
    else this.close(h3.code, h3.message);
  }

  /** Closes the connection with an HTTP/3 error code (H3_NO_ERROR for a clean close). */
  close(code: number = H3ErrorCode.H3_NO_ERROR, reason = ""): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.close({ code, reason: reason.slice(0, 200) }).catch(() => {});
  }

  async #openStreams(): Promise<void> {
    const settings = new Map<number, number>([
      [Setting.QPACK_MAX_TABLE_CAPACITY, 0],
      [Setting.MAX_FIELD_SECTION_SIZE, this.maxFieldSectionSize],
      [Setting.QPACK_BLOCKED_STREAMS, 0],
      // A reserved setting, so peers learn to ignore unknown ones (RFC 9114 §7.2.4.1).
      [0x1f * 7 + 0x21, 0],
    ]);
    const control = await this.conn.createUnidirectionalStream();
    this.#control = control;
    const settingsFrame = encodeFrame(FrameType.SETTINGS, encodeSettings(settings));
    const first = new Uint8Array(1 + settingsFrame.byteLength);
    first[0] = StreamType.CONTROL;
    first.set(settingsFrame, 1);
    await control.write(first);
    // No QPACK encoder or decoder stream: at table capacity 0 they would carry
    // nothing, and RFC 9204 §4.2 lets an endpoint leave them out. quiche sends
    // each stream's data in a packet of its own, so each would cost a datagram.
  }

  async #acceptUniStreams(): Promise<void> {
    for await (const stream of this.conn.incomingUnidirectionalStreams) {
      this.#readUniStream(stream).catch((error) => this.fail(error));
    }
  }

  async #readUniStream(stream: QuicStreamLike): Promise<void> {
    let head = new Uint8Array(0);
    let type: ReturnType<typeof readVarint> = null;
    while (type === null) {
      const chunk = await stream.read();
      if (chunk === null) return; // ended before its type: nothing to do (RFC 9114 §6.2)
      const joined = new Uint8Array(head.byteLength + chunk.byteLength);
      joined.set(head);
      joined.set(chunk, head.byteLength);
      head = joined;
      type = readVarint(head);
    }
    const rest = head.subarray(type.length);
    switch (type.value) {
      case StreamType.CONTROL:
        this.#critical(type.value);
        return this.#readControl(stream, rest);
      case StreamType.QPACK_ENCODER:
      case StreamType.QPACK_DECODER:
        this.#critical(type.value);
        return this.#readQpack(stream, rest, type.value);
      case StreamType.PUSH:
        throw this.role === "client"
          ? new H3Error(H3ErrorCode.H3_ID_ERROR, "connection", "push stream without MAX_PUSH_ID")
          : new H3Error(
            H3ErrorCode.H3_STREAM_CREATION_ERROR,
            "connection",
            "a client opened a push stream",
          );
      default:
        // Unknown stream types are ignored (RFC 9114 §6.2, §9).
        stream.stopSending(H3ErrorCode.H3_STREAM_CREATION_ERROR);
    }
  }

  /** Each critical stream type may be opened once (RFC 9114 §6.2.1, RFC 9204 §4.2). */
  #critical(type: number): void {
    if (this.#seen.has(type)) {
      throw new H3Error(
        H3ErrorCode.H3_STREAM_CREATION_ERROR,
        "connection",
        `second stream of type ${type}`,
      );
    }
    this.#seen.add(type);
  }

  async #readControl(stream: QuicStreamLike, first: Uint8Array): Promise<void> {
    const control = new ControlReader(this.role);
    let chunk: Uint8Array = first;
    for (;;) {
      for (const event of control.push(chunk)) {
        if (event.kind === "settings") this.#settings.resolve(event.settings);
        if (event.kind === "goaway") {
          this.#goaway = event.id;
          for (const listener of this.#onGoaway) listener(event.id);
        }
      }
      const next = await stream.read();
      if (next === null) return control.finish();
      chunk = next;
    }
  }

  async #readQpack(stream: QuicStreamLike, first: Uint8Array, type: number): Promise<void> {
    let chunk: Uint8Array = first;
    for (;;) {
      if (type === StreamType.QPACK_ENCODER) this.#checkEncoderInstructions(chunk);
      const next = await stream.read();
      if (next === null) {
        throw new H3Error(
          H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
          "connection",
          "the peer closed a QPACK stream",
        );
      }
      chunk = next;
    }
  }

  /**
   * With capacity 0 the only valid encoder instruction is Set Dynamic Table
   * Capacity to 0 (RFC 9204 §4.3.1), one byte: 0x20.
   */
  #checkEncoderInstructions(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (byte !== 0x20) {
        throw new H3Error(
          H3ErrorCode.QPACK_ENCODER_STREAM_ERROR,
          "connection",
          "encoder instruction for a dynamic table of capacity 0",
        );
      }
    }
  }
}
