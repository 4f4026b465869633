/**
 * The light half of the config room, for processes that must start small
 * (a worker): the name rule, the duration parser, the defaults and the
 * function's types, with none of discovery's file parsing. `mod.ts`
 * re-exports all of it.
 *
 * @module
 */
export { DEFAULTS } from "./defaults.ts";
export { type DurationOptions, parseDuration, requireDuration } from "./duration.ts";
export type { EarlyDataSetting, FunctionDefinition, Runtime, Transport } from "./function.ts";
export { tcpTlsVersion, TRANSPORTS } from "./function.ts";
export { FUNCTION_NAME, NAME_RULE } from "./names.ts";
