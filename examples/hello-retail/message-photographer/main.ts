// message-photographer (f5): POST { photographer, phone, productId } makes the
// assignment's task token, sends the photographer a message with it (to a
// local outbox: nothing leaves the machine) and calls record-assignment.
import { next } from "../_shared/call.ts";
import { DATA_ENV, dataDir, outboxPath } from "../_shared/config.ts";
import { handle, type Handler, readJson, text } from "../_shared/http.ts";

/** Messages the photographer, then hands on to record-assignment. */
const messagePhotographer: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const photographer = text(body, "photographer");
  const phone = text(body, "phone");
  const productId = text(body, "productId");
  const taskToken = crypto.randomUUID();
  const message = {
    to: phone,
    photographer,
    productId,
    taskToken,
    text:
      `Hello, Retail! Please photograph product ${productId}; send the photo with token ${taskToken}.`,
    at: new Date().toISOString(),
  };
  const dir = dataDir(Deno.env.get(DATA_ENV));
  await Deno.mkdir(dir, { recursive: true });
  // One short line appended per message: O_APPEND keeps concurrent writers' lines whole.
  await Deno.writeTextFile(outboxPath(dir), `${JSON.stringify(message)}\n`, { append: true });
  return await next(request, "record-assignment", "POST", { photographer, productId, taskToken });
});

export default messagePhotographer;
