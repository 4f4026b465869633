/**
 * The bench room: experiments that measure QFaaS against TCP and TLS,
 * side by side in one run. Benchmarks, not tests: they report, never assert.
 *
 * @module
 */
export {
  formatQuicBench,
  type QuicBenchOptions,
  type QuicBenchReport,
  runQuicBench,
  type ServerMemory,
} from "./quic_bench.ts";
export {
  formatInvokerBench,
  type InvokerBenchOptions,
  type InvokerBenchReport,
  runInvokerBench,
} from "./invoker_bench.ts";
export {
  formatGatewayBench,
  type GatewayBenchOptions,
  type GatewayBenchReport,
  runGatewayBench,
} from "./gateway_bench.ts";
export { parseWrk, runWrk, WrkMissing, type WrkResult } from "./wrk.ts";
export { formatH3Bench, type H3BenchOptions, type H3BenchReport, runH3Bench } from "./h3_bench.ts";
export { type BenchReport, formatTable, Recorder, type Scenario, timed } from "./harness.ts";
export { summarize, type Summary } from "./stats.ts";
export { type MachineInfo, machineInfo } from "./machine.ts";
