/**
 * The config room: what a function is and where its settings come from. The
 * directory walk (`discoverFunctions`), `qfaas.json`, OpenFaaS `stack.yml`,
 * dotenv files and secrets; and the one name rule, duration parser and set of
 * defaults that the invoker, the watchdog and the gateway share.
 *
 * @module
 */
export { DEFAULTS } from "./defaults.ts";
export {
  describeEmpty,
  type DiscoveredFunction,
  discoverFunctions,
  type Discovery,
  type DiscoveryProblem,
} from "./discover.ts";
export { type DotenvError, parseDotenv } from "./dotenv.ts";
export { type DurationOptions, parseDuration, requireDuration } from "./duration.ts";
export { secretEnvName } from "./env_files.ts";
export type { EarlyDataSetting, FunctionDefinition, Runtime, Transport } from "./function.ts";
export { tcpTlsVersion, TRANSPORTS } from "./function.ts";
export { FUNCTION_NAME, NAME_RULE } from "./names.ts";
export {
  findProjectFiles,
  type ImportMap,
  type ProjectFile,
  stripJsonc,
  type WorkerConfigInput,
  type WorkerDenoConfig,
  workerDenoConfig,
} from "./worker_config.ts";
export { DEFAULT_UPSTREAM_URL } from "./_qfaas_json.ts";
export { DENO_ENTRIES } from "./_fs.ts";
