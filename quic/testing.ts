/**
 * Test and benchmark support for the QUIC room: a throwaway trust domain,
 * stream helpers, an echo test bed, a recording UDP relay, the engine
 * conformance suite and a real server process. Not for production code.
 *
 * @module
 */
export {
  command,
  concatBytes,
  connectOptions,
  type EchoBed,
  echoBed,
  echoStream,
  identityOf,
  readAll,
  readToEnd,
  type RecordingRelay,
  recordingRelay,
  type RelayedDatagram,
  request,
  TEST_ALPN,
  type TrustDomain,
  trustDomain,
  writeAll,
} from "./_test_helpers.ts";
export { type ServerProcess, spawnServer } from "./_server_process.ts";
export { testEngineConformance } from "./engine_conformance.ts";
