/**
 * The `qfaas` executable.
 *
 * @module
 */
import { main } from "./cli/mod.ts";

if (import.meta.main) await main();
