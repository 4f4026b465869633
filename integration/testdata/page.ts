// A page function for browser interop: it fetches the 1 MB function through the
// same gateway and shows which protocol both the page and the resource used.
const PAGE = `<!doctype html><html><body><div id="out">pending</div><script>
(async () => {
  const body = await (await fetch("/function/megabyte")).arrayBuffer();
  const entry = (url) => performance.getEntriesByName(new URL(url, location).href)[0];
  const nav = performance.getEntriesByType("navigation")[0].nextHopProtocol;
  const big = entry("/function/megabyte").nextHopProtocol;
  document.getElementById("out").textContent = JSON.stringify({ nav, big, size: body.byteLength });
})().catch((e) => (document.getElementById("out").textContent = "error " + e));
</script></body></html>`;

export default {
  fetch(): Response {
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
