// A test function for the invoker: / echoes, /slow waits, /crash kills the
// worker mid-request, /spin blocks its event loop for good.
export default async function handler(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/crash") Deno.exit(1);
  if (path === "/spin") { while (true) { /* never yields */ } }
  if (path === "/slow") await new Promise((r) => setTimeout(r, 400));
  const body = request.body ? await request.text() : "";
  return new Response(`${request.method} ${path} ${body}`.trim());
}
