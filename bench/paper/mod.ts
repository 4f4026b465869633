/**
 * The paper room: `qfaas bench paper` reproduces the QFaaS paper's §5 with
 * end user, gateway and workers in separate network namespaces.
 *
 * @module
 */
export {
  formatPaperBench,
  NAMESPACE_PREFIX,
  type PaperBenchOptions,
  type PaperBenchReport,
  PRESETS,
  runPaperBench,
} from "./paper_bench.ts";
export { type GatewayUrls, names, paperFunctions } from "./functions.ts";
