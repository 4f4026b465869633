/**
 * What the gateway counts, for `/metrics` (Prometheus text): invocations by
 * function and status, their duration, cold starts, 0-RTT accepted and
 * rejected on the hop to the worker, live workers per function, requests per
 * listener, and 0-RTT requests refused as possible replays.
 *
 * @module
 */
import type { IngressInfo } from "./listeners.ts";
import { type Counter, type Histogram, Registry } from "./metrics.ts";
import { datagramIoSupport } from "../quic/mod.ts";

/** The gateway's metrics, and the call that records one invocation. */
export class GatewayTelemetry {
  /** The registry `/metrics` renders. */
  readonly registry: Registry = new Registry();
  #invocations: Counter;
  #duration: Histogram;
  #coldStarts: Counter;
  #zeroRtt: Counter;
  #internal: Counter;
  #ingress: Counter;
  #tooEarly: Counter;
  #counts = new Map<string, number>();

  /** `workers` reports live workers per function when `/metrics` is read. */
  constructor(
    workers: () => Iterable<[name: string, count: number]>,
    stemCells: () => number = () => 0,
  ) {
    this.#invocations = this.registry.counter(
      "qfaas_invocations_total",
      "Function invocations by status code.",
      ["function", "code"],
    );
    this.#duration = this.registry.histogram(
      "qfaas_invocation_duration_seconds",
      "Time from the gateway handing a request to the invoker to the response headers.",
      ["function"],
    );
    this.#coldStarts = this.registry.counter(
      "qfaas_cold_starts_total",
      "Invocations that started a worker.",
      ["function"],
    );
    this.#zeroRtt = this.registry.counter(
      "qfaas_zero_rtt_total",
      "Invocations whose hop to the worker was sent in 0-RTT, by outcome (accepted or rejected).",
      ["function", "outcome"],
    );
    this.#internal = this.registry.counter(
      "qfaas_internal_new_connection_requests_total",
      "First requests on new connections from functions to the gateway, by whether they came in 0-RTT.",
      ["early_data"],
    );
    this.#ingress = this.registry.counter(
      "qfaas_requests_total",
      "Requests received, by listener (http, https, h3, internal) and whether they came in 0-RTT.",
      ["protocol", "early_data"],
    );
    this.#tooEarly = this.registry.counter(
      "qfaas_too_early_total",
      "Requests in 0-RTT answered 425 because they might be replays, by listener.",
      ["protocol"],
    );
    this.registry.gauge("qfaas_workers", "Live worker processes.", ["function"], {
      collect: function* () {
        for (const [name, count] of workers()) yield [{ function: name }, count];
      },
    });
    const io = datagramIoSupport();
    this.registry.gauge(
      "qfaas_datagram_io",
      "How the gateway's QUIC sockets move datagrams: path batched (sendmmsg/recvmmsg via FFI) or ops (one Deno op each), and whether runs go out as UDP GSO.",
      ["path", "gso"],
      {
        collect: function* () {
          yield [{ path: io.path, gso: String(io.gso) }, 1];
        },
      },
    );
    this.registry.gauge("qfaas_stem_cells", "Loaded stem cells waiting for a function.", [], {
      collect: function* () {
        yield [{}, stemCells()];
      },
    });
  }

  /** Records one invocation from the response the invoker gave. */
  record(name: string, response: Response, seconds: number): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
    this.#invocations.inc({ function: name, code: String(response.status) });
    this.#duration.observe({ function: name }, seconds);
    if (response.headers.get("x-qfaas-cold-start") === "1") {
      this.#coldStarts.inc({ function: name });
    }
    const zeroRtt = response.headers.get("x-qfaas-0rtt");
    if (zeroRtt === "accepted" || zeroRtt === "rejected") {
      this.#zeroRtt.inc({ function: name, outcome: zeroRtt });
    }
  }

  /** Records a request from a function on the internal listener (only new connections count). */
  recordInternal(firstOnConnection: boolean, earlyData: boolean): void {
    if (firstOnConnection) this.#internal.inc({ early_data: String(earlyData) });
  }

  /** Records a request as it reaches a listener. */
  recordIngress(info: IngressInfo): void {
    this.#ingress.inc({ protocol: info.protocol, early_data: String(info.earlyData) });
  }

  /** Records a request in 0-RTT refused with 425 Too Early. */
  recordTooEarly(protocol: IngressInfo["protocol"]): void {
    this.#tooEarly.inc({ protocol });
  }

  /** Invocations of `name` so far (for `/system/functions`). */
  invocations(name: string): number {
    return this.#counts.get(name) ?? 0;
  }
}
