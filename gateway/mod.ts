/**
 * The gateway room: the OpenFaaS-compatible API (Hono) on HTTP/1.1, HTTPS and
 * HTTP/3, in front of the invoker, with an internal HTTP/3 listener for
 * function chains and Prometheus metrics; beyond loopback, credentials guard
 * the admin API.
 *
 * @module
 */
export {
  createGatewayApp,
  type GatewayApp,
  type GatewayAppOptions,
  type GatewayLimits,
} from "./app.ts";
export { type Gateway, type GatewayOptions, startGateway } from "./gateway.ts";
export {
  type FetchHandler,
  type IngressInfo,
  listen,
  type Listeners,
  type ListenOptions,
} from "./listeners.ts";
export { CONTENT_TYPE, Counter, Gauge, type GaugeOptions, Histogram, Registry } from "./metrics.ts";
export {
  generateSystemAuth,
  isLoopbackHost,
  SYSTEM_AUTH_REALM,
  SYSTEM_AUTH_USER,
  SYSTEM_PASSWORD_ENV,
  type SystemAuth,
} from "./system_auth.ts";
export { GatewayTelemetry } from "./telemetry.ts";
