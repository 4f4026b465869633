// A test function for the invoker: / echoes, /slow waits, /crash kills the
// worker mid-request, /spin blocks its event loop for good, /log writes a line
// to stdout and one to stderr, /write?to=FILE writes the body to FILE, /headers
// answers with the request's header fields (JSON).
export default async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === "/write") {
    try {
      await Deno.writeTextFile(url.searchParams.get("to")!, await request.text());
      return new Response("written");
    } catch (error) {
      return new Response((error as Error).name, { status: 403 });
    }
  }
  if (path.startsWith("/headers")) return Response.json(Object.fromEntries(request.headers));
  if (path === "/crash") Deno.exit(1);
  if (path === "/spin") { while (true) { /* never yields */ } }
  if (path === "/slow") await new Promise((r) => setTimeout(r, 400));
  if (path === "/log") {
    console.log("to stdout");
    console.error("to stderr");
  }
  const body = request.body ? await request.text() : "";
  return new Response(`${request.method} ${path} ${body}`.trim());
}
