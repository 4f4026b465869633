/**
 * Runs Hello, Retail!'s three chains end to end against a running gateway:
 * request a photo of a product, deliver it with the task token, then buy the
 * product (plain-fetch hops, then the qfaas/chain variant). Seed first.
 *
 * ```sh
 * deno run -A examples/hello-retail/run_chains.ts [GATEWAY_URL]   # default http://127.0.0.1:8080
 * ```
 *
 * @module
 */
import { callOk } from "./gateway_client.ts";

/** What to run the chains with. */
export interface ChainPlan {
  /** The product to photograph and buy. */
  productId: string;
  /** The photo the photographer delivers. */
  imageUrl: string;
  /** Buyer. */
  user: string;
  /** A card that can pay for the product twice. */
  card: string;
}

/** Each chain's answer. */
export interface ChainResults {
  /** request-photo's answer: the pending assignment. */
  requested: Record<string, unknown>;
  /** acquire-photo's answer: the outcome. */
  acquired: Record<string, unknown>;
  /** purchase's answer, hops by plain fetch. */
  purchased: Record<string, unknown>;
  /** purchase's answer, hops by qfaas/chain. */
  purchasedViaChain: Record<string, unknown>;
}

/** A plan that fits the seed data. */
export const DEFAULT_PLAN: ChainPlan = {
  productId: "boot-1",
  imageUrl: "https://images.example/boot-1.jpg",
  user: "ada",
  card: "4111111111111111",
};

/** Runs the three chains in order; throws on the first that does not answer 2xx. */
export async function runChains(
  gateway: string,
  plan: ChainPlan = DEFAULT_PLAN,
): Promise<ChainResults> {
  const requested = await callOk(gateway, "request-photo", { productId: plan.productId });
  const assignment = requested.assignment as { photographer: string; taskToken: string };
  const acquired = await callOk(gateway, "acquire-photo", {
    photographer: assignment.photographer,
    taskToken: assignment.taskToken,
    imageUrl: plan.imageUrl,
  });
  const order = { productId: plan.productId, user: plan.user, card: plan.card };
  const purchased = await callOk(gateway, "purchase", order);
  const purchasedViaChain = await callOk(gateway, "purchase?via=chain", order);
  return { requested, acquired, purchased, purchasedViaChain };
}

if (import.meta.main) {
  const gateway = Deno.args[0] ?? "http://127.0.0.1:8080";
  const results = await runChains(gateway);
  for (const [chain, answer] of Object.entries(results)) {
    console.log(`${chain.padEnd(17)} ${JSON.stringify(answer)}`);
  }
}
