/**
 * Checks rendered objects against the Kubernetes API's own schemas, through
 * `kubernetes-models` (generated from the OpenAPI definitions, validated with
 * ajv): a field misspelled, a port not a number or a required field missing
 * is an error here rather than at `kubectl apply`.
 *
 * @module
 */
import process from "node:process";
import type { KubeObject } from "./manifests.ts";

/** An object the schemas refuse, with what they said. */
export class ManifestError extends Error {
  /** `kind/name` of the object. */
  readonly object: string;

  /** `object` failed validation with `reason`. */
  constructor(object: string, reason: string, options?: ErrorOptions) {
    super(`Kubernetes would refuse ${object}: ${reason}`, options);
    this.name = "ManifestError";
    this.object = object;
  }
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Model;

/** Node's switch for deprecation notices (documented, absent from the types). */
const node = process as typeof process & { noDeprecation?: boolean };

/**
 * Runs `work` without deprecation notices: the library's ajv uses
 * node:punycode, whose notice is not ours to print on every `qfaas deploy`.
 */
async function quietly<T>(work: () => T | Promise<T>): Promise<T> {
  const before = node.noDeprecation;
  node.noDeprecation = true;
  try {
    return await work();
  } finally {
    node.noDeprecation = before;
  }
}

/** Loads the model classes once. */
function models(): Promise<Record<string, ModelClass>> {
  return quietly(async () => {
    const [namespace, deployment, service, secret, configMap, hpa] = await Promise.all([
      import("kubernetes-models/v1/Namespace"),
      import("kubernetes-models/apps/v1/Deployment"),
      import("kubernetes-models/v1/Service"),
      import("kubernetes-models/v1/Secret"),
      import("kubernetes-models/v1/ConfigMap"),
      import("kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler"),
    ]);
    return {
      "v1/Namespace": namespace.Namespace as unknown as ModelClass,
      "apps/v1/Deployment": deployment.Deployment as unknown as ModelClass,
      "v1/Service": service.Service as unknown as ModelClass,
      "v1/Secret": secret.Secret as unknown as ModelClass,
      "v1/ConfigMap": configMap.ConfigMap as unknown as ModelClass,
      "autoscaling/v2/HorizontalPodAutoscaler": hpa
        .HorizontalPodAutoscaler as unknown as ModelClass,
    };
  });
}

let loaded: Promise<Record<string, ModelClass>> | undefined;

/** Validates every object against its kind's schema; throws `ManifestError` for the first refused. */
export async function validateManifests(objects: readonly KubeObject[]): Promise<void> {
  const classes = await (loaded ??= models());
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata.name}`;
    const Model = classes[`${object.apiVersion}/${object.kind}`];
    if (!Model) {
      throw new ManifestError(name, `no schema here for ${object.apiVersion} ${object.kind}`);
    }
    try {
      await quietly(() => new Model(structuredClone(object)).validate());
    } catch (error) {
      throw new ManifestError(name, (error as Error).message, { cause: error });
    }
  }
}
