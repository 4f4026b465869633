// photo-success (f10, pure): GET ?photographer&productId&taskToken&imageUrl
// marks the delivery complete and calls report-photo with it.
import { next } from "../_shared/call.ts";
import { handle, type Handler, text, url } from "../_shared/http.ts";

/** Builds the completed assignment and hands it on to report-photo. */
const photoSuccess: Handler = handle("GET", async (request) => {
  const query = new URL(request.url).searchParams;
  const completed = {
    photographer: text(query, "photographer"),
    productId: text(query, "productId"),
    taskToken: text(query, "taskToken"),
    imageUrl: url(query, "imageUrl"),
    status: "complete",
    completedAt: new Date().toISOString(),
  };
  return await next(request, "report-photo", "POST", completed);
});

export default photoSuccess;
