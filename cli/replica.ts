/**
 * `qfaas replica NAME [dir]`: the process a function's pod runs (deploy/replica.ts).
 *
 * @module
 */
import { defineCommand } from "citty";
import { IMAGE_PATHS, startReplica } from "../deploy/mod.ts";
import { runPod } from "./_pod.ts";

/** `qfaas replica`. */
export const replicaCommand = defineCommand({
  meta: {
    name: "replica",
    description: "Run one replica of a function, as a pod does (qfaas deploy renders it)",
  },
  args: {
    name: { type: "positional", required: true, description: "the function" },
    dir: {
      type: "positional",
      required: false,
      default: IMAGE_PATHS.functions,
      description: "functions directory",
    },
    identity: {
      type: "string",
      description: "identity directory (default /var/run/qfaas/identity)",
    },
    ca: { type: "string", description: "CA certificate file (default /var/run/qfaas/ca/ca.crt)" },
    port: { type: "string", description: "the function's port (default 8443)" },
    "health-port": { type: "string", description: "the probes' port (default 8081)" },
    gateway: {
      type: "string",
      description: "the gateway's internal origin (default $QFAAS_GATEWAY_INTERNAL)",
    },
    addresses: {
      type: "string",
      description:
        "host:port,... the gateway dials it at, when not its own (behind a hostPort or NAT); default its interfaces'",
    },
  },
  async run({ args }) {
    const number = (text: string | undefined) => text === undefined ? undefined : Number(text);
    await runPod("replica", async () => {
      const replica = await startReplica({
        name: args.name,
        functions: args.dir,
        identity: args.identity,
        caFile: args.ca,
        port: number(args.port),
        healthPort: number(args["health-port"]),
        addresses: args.addresses?.split(",").map((address) => address.trim()),
        gateway: args.gateway,
      });
      return {
        ready: {
          replica: replica.worker.name,
          function: args.name,
          port: replica.worker.port,
          pid: replica.worker.pid,
          health: replica.healthPort,
        },
        stop: () => replica.stop(),
        exited: replica.exited,
      };
    });
  },
});
