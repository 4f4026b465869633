/**
 * The paper room: `qfaas bench paper` reproduces the QFaaS paper's §5 with
 * end user, gateway and workers in separate network namespaces.
 *
 * @module
 */
export { NAMESPACE_PREFIX } from "./hosts.ts";
export {
  formatPaperBench,
  GATEWAY_GROUPS,
  GET_TRANSPORTS,
  type PaperBenchOptions,
  type PaperBenchReport,
  PRESETS,
  runPaperBench,
} from "./paper_bench.ts";
export { type GatewayUrls, names, paperFunctions } from "./functions.ts";
export { type AppBenchOptions, type AppBenchReport, runAppBench } from "./app_bench.ts";
export { type AppOperation, type AppPlan, APPS } from "./apps.ts";
export type { ClientJob, ClientResult } from "./client_node.ts";
export type {
  AppConfig,
  Control,
  ControlAnswer,
  GatewayNodeConfig,
  GatewayNodeReady,
  Recycle,
  StemCells,
} from "./gateway_node.ts";
export type { OriginReady } from "./tls_host.ts";
