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
export { summarize, type Summary } from "./stats.ts";
export { type MachineInfo, machineInfo } from "./machine.ts";
