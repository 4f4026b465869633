/**
 * Test and benchmark support for the QUIC room: a throwaway trust domain,
 * stream helpers and a real server process. Not for production code.
 *
 * @module
 */
export { echoStream, readAll, type TrustDomain, trustDomain, writeAll } from "./_test_helpers.ts";
export { type ServerProcess, spawnServer } from "./_server_process.ts";
