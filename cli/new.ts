/**
 * `qfaas new NAME [--lang deno|python|node]`: creates a working function
 * that `qfaas dev` serves as it is.
 *
 * @module
 */
import { defineCommand } from "citty";
import { scaffold, SCAFFOLD_LANGS, type ScaffoldLang } from "./scaffold.ts";

/** `qfaas new`. */
export const newCommand = defineCommand({
  meta: { name: "new", description: "Create a function directory from a template" },
  args: {
    name: { type: "positional", required: true, description: "function name (a DNS label)" },
    lang: {
      type: "string",
      default: "deno",
      description: `language: ${SCAFFOLD_LANGS.join(", ")}`,
    },
    dir: { type: "string", default: ".", description: "where to create it" },
  },
  async run({ args }) {
    if (!SCAFFOLD_LANGS.includes(args.lang as ScaffoldLang)) {
      console.error(
        `qfaas new: --lang must be one of ${SCAFFOLD_LANGS.join(", ")}, received "${args.lang}"`,
      );
      Deno.exit(2);
    }
    let created: string[];
    try {
      created = await scaffold(args.dir, args.name, args.lang as ScaffoldLang);
    } catch (error) {
      console.error(`qfaas new: ${(error as Error).message}`);
      Deno.exit(1);
    }
    for (const path of created) console.log(`created ${path}`);
    console.log(`\nRun it:  qfaas dev ${args.dir}\nCall it: qfaas invoke ${args.name} -d hi`);
  },
});
