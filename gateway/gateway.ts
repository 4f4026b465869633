/**
 * The gateway put together: the invoker and its workers, the API app, the
 * public listeners (HTTP/1.1, HTTPS, HTTP/3) and an internal HTTP/3 listener
 * on loopback for functions that call functions. Every new worker gets a
 * session minted for that internal listener, so its first call is 0-RTT.
 *
 * @module
 */
import { GATEWAY_ENV } from "../chain/mod.ts";
import { serveH3 } from "../h3/mod.ts";
import { Invoker, type InvokerFunction, type WorkerLogLine } from "../invoker/mod.ts";
import { mintSession, quicheEngine, TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { type CertificateAuthority, issueLeaf, type ZeroRttStore } from "../store/mod.ts";
import { createGatewayApp, type GatewayLimits } from "./app.ts";
import { listen, type ListenOptions } from "./listeners.ts";
import { GatewayTelemetry } from "./telemetry.ts";

/** Options of `startGateway`. */
export interface GatewayOptions {
  /** The functions to serve (more can be registered on `invoker`). */
  functions: InvokerFunction[];
  /** The CA for the gateway's and the workers' certificates. */
  ca: CertificateAuthority;
  /** The 0-RTT store. */
  store: ZeroRttStore;
  /** Public listeners: address and ports (the TLS material is made here). */
  listen?: Omit<ListenOptions, "tls">;
  /** Request limits. */
  limits?: GatewayLimits;
  /** Receives workers' output line by line; default: passed through to stderr. */
  onWorkerLog?: (line: WorkerLogLine) => void;
}

/** A running gateway. */
export interface Gateway {
  /** The invoker behind it (register, replace and warm functions here). */
  readonly invoker: Invoker;
  /** Its metrics. */
  readonly telemetry: GatewayTelemetry;
  /** Base URL of the HTTP/1.1 listener, if on. */
  readonly http: string | null;
  /** Base URL of the HTTPS listener (HTTP/3 on the same port, UDP), if on. */
  readonly https: string | null;
  /** Port of the public HTTP/3 listener, if on. */
  readonly h3Port: number | null;
  /** The internal HTTP/3 origin functions call (given to workers as QFAAS_GATEWAY_URL). */
  readonly internalUrl: string;
  /** Stops listening, drains requests, stops every worker. */
  shutdown(): Promise<void>;
}

/** Starts a gateway; resolves once every listener accepts. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { ca, store } = options;
  const leaf = await issueLeaf(ca, {
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1", "::1"],
  });
  const internalTls = {
    ...leaf,
    ticketKey: crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH)),
  };
  const internal = await quicheEngine.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: internalTls,
    alpn: ["h3"],
    validateAddress: false, // loopback only: nobody can spoof a worker's address
  });
  const internalUrl = `https://localhost:${internal.addr.port}`;
  const invoker: Invoker = new Invoker({
    ca,
    store,
    onWorkerLog: options.onWorkerLog,
    workerEnv: () => ({
      [GATEWAY_ENV.url]: internalUrl,
      gateway_url: internalUrl, // the OpenFaaS name for it
      [GATEWAY_ENV.session]: mintSession({
        server: internalTls,
        ca: ca.cert,
        serverName: "localhost",
        alpn: ["h3"],
      }).toBase64(),
    }),
  });
  const telemetry = new GatewayTelemetry(() => invoker.workerCounts());
  for (const fn of options.functions) invoker.register(fn);
  const app = createGatewayApp({ invoker, telemetry, limits: options.limits });
  const internalServer = serveH3(internal, (request, info) => {
    telemetry.recordInternal(info.streamId === 0, info.earlyData);
    return app.fetch(request);
  });
  let listeners;
  try {
    listeners = await listen((request) => app.fetch(request), {
      ...options.listen,
      tls: { cert: leaf.cert, key: leaf.key },
    });
  } catch (error) {
    await internalServer.shutdown();
    await invoker.close();
    throw error;
  }
  return {
    invoker,
    telemetry,
    http: listeners.http,
    https: listeners.https,
    h3Port: listeners.h3Port,
    internalUrl,
    async shutdown() {
      await listeners.shutdown();
      await Promise.all([internalServer.shutdown(), invoker.close()]);
    },
  };
}
