/**
 * What `qfaas replica` and `qfaas gateway --cluster` share as a pod's main
 * process: a start that fails says why and exits 1; once up, one JSON line
 * says so (the tests and the logs read it); SIGTERM and SIGINT stop it; the
 * process exits with the program's code.
 *
 * @module
 */

/** A pod's program once started. */
export interface PodProgram {
  /** What the ready line says. */
  readonly ready: Record<string, unknown>;
  /** Stops it; `exited` then resolves. */
  stop(): Promise<void>;
  /** Resolves with the exit code when it is over. */
  readonly exited: Promise<number>;
}

/** Runs `start`'s program as this process's, for `qfaas <command>`. */
export async function runPod(command: string, start: () => Promise<PodProgram>): Promise<never> {
  let program: PodProgram;
  try {
    program = await start();
  } catch (error) {
    console.error(`qfaas ${command}: ${(error as Error).message}`);
    Deno.exit(1);
  }
  console.error(JSON.stringify({ level: "info", ...program.ready }));
  const stop = () => {
    program.stop().catch((error) => {
      console.error(`qfaas ${command}: cannot stop cleanly: ${(error as Error).message}`);
      Deno.exit(1);
    });
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  Deno.exit(await program.exited);
}
