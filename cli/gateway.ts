/**
 * `qfaas gateway [dir] --cluster DIR`: the gateway a cluster runs
 * (deploy/cluster_gateway.ts), in front of the functions' replicas.
 *
 * @module
 */
import { defineCommand } from "citty";
import { IMAGE_PATHS, MOUNTS, startClusterGateway } from "../deploy/mod.ts";
import { runPod } from "./_pod.ts";

/** `qfaas gateway`. */
export const gatewayCommand = defineCommand({
  meta: {
    name: "gateway",
    description:
      "Run the gateway of a cluster in front of the functions' replicas (qfaas deploy renders it)",
  },
  args: {
    dir: {
      type: "positional",
      required: false,
      default: IMAGE_PATHS.functions,
      description: "functions directory",
    },
    cluster: {
      type: "string",
      default: MOUNTS.cluster,
      description: "directory of cluster.json: where each function's replicas are",
    },
    secrets: {
      type: "string",
      description: "the gateway's identities (default /var/run/qfaas/gateway)",
    },
    ca: { type: "string", description: "CA certificate file (default /var/run/qfaas/ca/ca.crt)" },
    host: { type: "string", default: "0.0.0.0", description: "address to bind" },
    port: { type: "string", default: "8080", description: "HTTP/1.1 port" },
    "https-port": { type: "string", default: "8443", description: "HTTPS and HTTP/3 port" },
    "internal-port": {
      type: "string",
      default: "8444",
      description: "internal HTTP/3 port (UDP): replicas calling functions",
    },
  },
  async run({ args }) {
    await runPod("gateway", async () => {
      const gateway = await startClusterGateway({
        functions: args.dir,
        config: args.cluster,
        secrets: args.secrets,
        caFile: args.ca,
        hostname: args.host,
        httpPort: Number(args.port),
        httpsPort: Number(args["https-port"]),
        internalPort: Number(args["internal-port"]),
      });
      const { promise: exited, resolve } = Promise.withResolvers<number>();
      return {
        ready: {
          gateway: "ready",
          http: gateway.http,
          https: gateway.https,
          internal: gateway.internalUrl,
          functions: gateway.invoker.functions().map((fn) => fn.name),
        },
        stop: async () => {
          await gateway.shutdown();
          resolve(0);
        },
        exited,
      };
    });
  },
});
