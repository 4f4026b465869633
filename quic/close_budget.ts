/**
 * How many datagrams a connection closing on our side may still send.
 * quiche 0.18 can answer every `send()` of a closing connection with another
 * CONNECTION_CLOSE and a zero timeout (seen under load: one connection sent
 * 100,000 a second until its process held 4.8 GB; docs/results/throughput.md),
 * so the driver cannot poll it until quiche says "done". A close needs one
 * flight per pass (one datagram per packet number space) and a few passes in
 * all (RFC 9000 §10.2.1 rate-limits the answers to a peer's packets); past
 * that, the connection is dropped, as if its draining period were over.
 *
 * @module
 */

/** Datagrams a closing connection may send per pass: one per packet number space. */
export const CLOSE_FLIGHT = 3;
/** Datagrams a closing connection may send in all before it is dropped. */
export const MAX_CLOSE_DATAGRAMS = 30;

/** What the driver does before polling a closing connection for one more datagram. */
export type CloseStep = "send" | "pass over" | "drop";

/** Counts what closing connections sent; one per driver. */
export class CloseBudget<C extends object> {
  #sent = new Map<C, number>();

  /** Before polling `connection` again in a pass that has polled it `polled` times. */
  next(connection: C, polled: number): CloseStep {
    if (polled >= CLOSE_FLIGHT) return "pass over";
    const sent = (this.#sent.get(connection) ?? 0) + 1;
    this.#sent.set(connection, sent);
    return sent <= MAX_CLOSE_DATAGRAMS ? "send" : "drop";
  }

  /** The connection is gone: forget its count. */
  forget(connection: C): void {
    this.#sent.delete(connection);
  }
}
