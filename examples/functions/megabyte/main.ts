// megabyte: a 1 MiB response (the paper's large-response experiment); ?size=N for N bytes.
const MiB = new Uint8Array(1024 * 1024).fill(0x61);

export default (request: Request): Response => {
  const size = Number(new URL(request.url).searchParams.get("size") ?? MiB.byteLength);
  if (!Number.isInteger(size) || size < 0 || size > 64 * MiB.byteLength) {
    return Response.json({ error: "size must be an integer from 0 to 67108864" }, { status: 400 });
  }
  const body = size <= MiB.byteLength ? MiB.subarray(0, size) : new Uint8Array(size).fill(0x61);
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
};
