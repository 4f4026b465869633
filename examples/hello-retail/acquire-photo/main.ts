// acquire-photo (f8), the acquire-photo chain's entry: POST { photographer,
// taskToken, imageUrl } delivers the photo of an assignment. f8 →
// receive-photo → photo-success → report-photo; answers the outcome.
import { next } from "../_shared/call.ts";
import { handle, type Handler, readJson, text, url } from "../_shared/http.ts";

/** Checks the request's shape and starts the chain. */
const acquirePhoto: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const delivery = {
    photographer: text(body, "photographer"),
    taskToken: text(body, "taskToken"),
    imageUrl: url(body, "imageUrl"),
  };
  return await next(request, "receive-photo", "POST", delivery);
});

export default acquirePhoto;
