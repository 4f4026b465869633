// echo: answers with the method, the path, the query and the body it received.
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = await request.text();
    return new Response(
      `${request.method} ${url.pathname}${url.search}${body ? ` ${body}` : ""}\n`,
      {
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );
  },
};
