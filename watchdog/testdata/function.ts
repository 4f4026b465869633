// A test function: / echoes, /hang never answers, /throw throws, /slow waits 300 ms.
let calls = 0;
export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    calls++;
    if (path === "/hang") return await new Promise<Response>(() => {});
    if (path === "/throw") throw new Error("the function failed");
    if (path === "/slow") await new Promise((r) => setTimeout(r, 300));
    if (path === "/calls") return new Response(String(calls));
    const body = request.body ? await request.text() : "";
    return new Response(`${request.method} ${path} ${body}`.trim());
  },
};
