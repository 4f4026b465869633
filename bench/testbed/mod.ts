/**
 * The benchmark test bed: hosts as Linux network namespaces on one machine,
 * joined with a configurable round-trip time (`tc netem` where the kernel has
 * it, else a userspace delay line), so `qfaas bench` can place end user,
 * gateway and workers on separate "machines" at an intra-cloud RTT of 0–3 ms.
 *
 * Needs root, `ip` (iproute2), `ping` (iputils-ping) and, for the delay line,
 * a C compiler (gcc, libc6-dev) on first use.
 *
 * @module
 */
export {
  type Backend,
  createTestbed,
  type Testbed,
  type TestbedHost,
  type TestbedOptions,
  ZERO_RTT_BOUND_MS,
} from "./testbed.ts";
export { RttMismatchError, TestbedError, type TestbedStep } from "./errors.ts";
export { type RttCheck, type RttSample } from "./ping.ts";
export { type DelayLineStats } from "./delay_line.ts";
export { DEFAULT_PREFIX, listNamespaces, removeStale } from "./netns.ts";
export { netemAvailable } from "./netem.ts";
export { SUBNET } from "./topology.ts";
