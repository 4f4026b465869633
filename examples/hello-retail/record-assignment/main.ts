// record-assignment (f6), the request-photo chain's last function: POST
// { photographer, productId, taskToken } stores the pending assignment with
// its task token and answers it.
import { withDb } from "../_shared/db.ts";
import { handle, type Handler, readJson, text } from "../_shared/http.ts";
import type { Assignment } from "../_shared/types.ts";

/** Records the pending assignment. */
const recordAssignment: Handler = handle("POST", async (request) => {
  const body = await readJson(request);
  const assignment: Assignment = {
    photographer: text(body, "photographer"),
    productId: text(body, "productId"),
    taskToken: text(body, "taskToken"),
    status: "pending",
    assignedAt: new Date().toISOString(),
  };
  withDb((db) => db.put("photoAssignments", assignment.photographer, assignment));
  return { ...assignment };
});

export default recordAssignment;
