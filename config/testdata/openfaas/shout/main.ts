// The shout function: the request path in capitals.
export default (request: Request): Response =>
  new Response(new URL(request.url).pathname.toUpperCase());
