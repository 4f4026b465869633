/**
 * `qfaas deploy`: a functions directory → Kubernetes manifests, validated
 * against the API schemas, written as one multi-document YAML file (mode 600:
 * it holds Secrets).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { discoverFunctions } from "../config/mod.ts";
import { GATEWAY_NAME } from "./contract.ts";
import { deployIdentities } from "./identities.ts";
import { type KubeObject, renderManifests, serviceNames } from "./manifests.ts";
import { type PodmanPlay, writePodmanPlays } from "./podman.ts";
import { validateManifests } from "./validate.ts";

/** The file `qfaas deploy` writes in `--out`. */
export const MANIFEST_FILE = "qfaas.yaml";

/** Options of `deploy`. */
export interface DeployOptions {
  /** Where to write the manifests. */
  out: string;
  /** Namespace of every object. Default "qfaas". */
  namespace?: string;
  /** The image to run. Default "localhost/qfaas:latest" (`qfaas image`). */
  image?: string;
  /** Where identities are kept between renders. Default `<dir>/.secrets/deploy`. */
  state?: string;
  /** Issue every identity anew (the CA stays): the rendered Deployments roll. */
  rotate?: boolean;
  /**
   * "kubernetes" (default): `qfaas.yaml` for kubectl. "podman": also one file
   * per `podman kube play` and the volumes' files (podman.ts).
   */
  target?: "kubernetes" | "podman";
}

/** What `deploy` wrote. */
export interface DeployResult {
  /** The manifest file. */
  file: string;
  /** The objects in it, in order. */
  objects: KubeObject[];
  /** The identities' generation (changes on rotation). */
  generation: string;
  /** For the podman target: the plays, in order. */
  plays: PodmanPlay[];
}

/** Renders, validates and writes the manifests for the functions in `dir`. */
export async function deploy(dir: string, options: DeployOptions): Promise<DeployResult> {
  const root = resolve(dir);
  const { functions, problems } = await discoverFunctions(root);
  if (problems.length > 0) {
    throw new Error(
      `Cannot deploy ${root}: fix its configuration first:\n${
        problems.map((p) => `  ${p.message}`).join("\n")
      }`,
    );
  }
  if (functions.length === 0) throw new Error(`Cannot deploy ${root}: it has no functions`);
  const namespace = options.namespace ?? "qfaas";
  const identities = await deployIdentities(
    options.state ?? join(root, ".secrets", "deploy"),
    { namespace, gateway: GATEWAY_NAME, services: serviceNames(functions) },
    { rotate: options.rotate },
  );
  const objects = renderManifests(functions, {
    namespace,
    image: options.image ?? "localhost/qfaas:latest",
    identities,
  });
  await validateManifests(objects);
  const out = resolve(options.out);
  await Deno.mkdir(out, { recursive: true });
  const file = join(out, MANIFEST_FILE);
  const yaml = objects.map((object) => stringify(object, { lineWidth: 0 })).join("---\n");
  await Deno.writeTextFile(file, yaml, { mode: 0o600 });
  await Deno.chmod(file, 0o600);
  const plays = options.target === "podman" ? await writePodmanPlays(objects, out) : [];
  return { file, objects, generation: identities.generation, plays };
}
