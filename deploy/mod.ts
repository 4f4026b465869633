/**
 * Beyond one machine (issue 16): Kubernetes manifests for a functions
 * directory (`deploy`), the identities shared by a function's replicas, and
 * the contract between the manifests, the image and the pods' processes.
 *
 * @module
 */
export { deploy, type DeployOptions, type DeployResult, MANIFEST_FILE } from "./deploy.ts";
export {
  type ClusterConfig,
  type ClusterFunctionIdentity,
  FILES,
  FUNCTION_LABEL,
  GATEWAY_NAME,
  GENERATION_ANNOTATION,
  IMAGE_PATHS,
  INSTANCE_HEADER,
  MOUNTS,
  PORTS,
  serviceName,
} from "./contract.ts";
export {
  type DeployIdentities,
  deployIdentities,
  type DeployNames,
  type FunctionIdentity,
  type GatewayIdentity,
  serviceDnsNames,
} from "./identities.ts";
export {
  type KubeObject,
  renderManifests,
  type RenderOptions,
  RUNTIME_MEMORY_MIB,
  serviceNames,
} from "./manifests.ts";
export { ManifestError, validateManifests } from "./validate.ts";
export { ownAddresses, type Replica, type ReplicaOptions, startReplica } from "./replica.ts";
export { type ClusterGatewayOptions, startClusterGateway } from "./cluster_gateway.ts";
export { buildImage, type BuiltImage, IMAGE_USER, ImageError, type ImageOptions } from "./image.ts";
export { type PodmanPlay, writePodmanPlays } from "./podman.ts";
