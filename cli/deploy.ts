/**
 * `qfaas deploy [dir] --out DIR`: Kubernetes manifests for a functions
 * directory (deploy/), validated against the API schemas. `--rotate` issues
 * new identities; applying the result rolls every Deployment.
 *
 * @module
 */
import { defineCommand } from "citty";
import { deploy } from "../deploy/mod.ts";

/** `qfaas deploy`. */
export const deployCommand = defineCommand({
  meta: {
    name: "deploy",
    description:
      "Render Kubernetes manifests (gateway, and per function a Deployment, Service, Secret, HPA)",
  },
  args: {
    dir: { type: "positional", required: false, default: ".", description: "functions directory" },
    out: { type: "string", required: true, description: "where to write qfaas.yaml" },
    namespace: { type: "string", default: "qfaas", description: "namespace of every object" },
    image: {
      type: "string",
      default: "localhost/qfaas:latest",
      description: "the image the gateway and the functions run (qfaas image)",
    },
    state: {
      type: "string",
      description: "where identities are kept between renders (default DIR/.secrets/deploy)",
    },
    target: {
      type: "string",
      default: "kubernetes",
      description: "kubernetes, or podman (also one file per podman kube play, on one machine)",
    },
    rotate: {
      type: "boolean",
      default: false,
      description: "issue new identities for the gateway and every function (the CA stays)",
    },
  },
  async run({ args }) {
    if (args.target !== "kubernetes" && args.target !== "podman") {
      console.error(
        `qfaas deploy: --target must be kubernetes or podman, received "${args.target}"`,
      );
      Deno.exit(2);
    }
    try {
      const result = await deploy(args.dir, {
        target: args.target,
        out: args.out,
        namespace: args.namespace,
        image: args.image,
        state: args.state,
        rotate: args.rotate,
      });
      const count = (kind: string) => result.objects.filter((o) => o.kind === kind).length;
      console.log(
        `wrote ${result.file}: ${count("Deployment") - 1} functions and the gateway ` +
          `(${result.objects.length} objects, validated; identities generation ${result.generation})`,
      );
      if (result.plays.length === 0) console.log(`apply:  kubectl apply -f ${result.file}`);
      else {
        console.log("run:    podman network create qfaas   # once");
        for (const play of result.plays) {
          console.log(`        podman kube play --network qfaas:alias=${play.alias} ${play.file}`);
        }
      }
      if (args.rotate) {
        console.log("rotated: applying it rolls every Deployment onto the new identities");
      }
    } catch (error) {
      console.error(`qfaas deploy: ${(error as Error).message}`);
      Deno.exit(1);
    }
  },
});
