/**
 * `qfaas image [dir] [--tag NAME]`: the OCI image `qfaas deploy`'s manifests
 * run (deploy/image.ts), imported into podman.
 *
 * @module
 */
import { defineCommand } from "citty";
import { buildImage } from "../deploy/mod.ts";

/** `qfaas image`. */
export const imageCommand = defineCommand({
  meta: {
    name: "image",
    description:
      "Build the image the gateway and the functions run on a cluster (Deno, qfaas, the functions)",
  },
  args: {
    dir: { type: "positional", required: false, default: ".", description: "functions directory" },
    tag: { type: "string", default: "localhost/qfaas:latest", description: "the image's name" },
    tar: {
      type: "string",
      description: "keep the root filesystem's tar here (docker import, etc.)",
    },
    import: {
      type: "boolean",
      default: true,
      description: "import into podman (--no-import: build the tar only)",
    },
  },
  async run({ args }) {
    try {
      const built = await buildImage({
        functions: args.dir,
        tag: args.tag,
        tar: args.tar,
        import: args.import,
        onStep: (line) => console.error(line.startsWith("!") ? line : `  ${line}`),
      });
      const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
      console.log(
        `built ${built.imageBytes === null ? "the tar" : built.tag} in ${
          built.seconds.toFixed(1)
        } s: ` +
          `tar ${mb(built.tarBytes)}${
            built.imageBytes === null ? "" : `, image ${mb(built.imageBytes)}`
          }`,
      );
    } catch (error) {
      console.error(`qfaas image: ${(error as Error).message}`);
      Deno.exit(1);
    }
  },
});
