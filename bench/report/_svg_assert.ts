/**
 * Test helpers for SVG output: a well-formedness check and mark counts.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts `svg` is one `<svg>` element whose tags all nest and close. */
export function assertWellFormedSvg(svg: string): void {
  assert(svg.startsWith("<svg"), `expected <svg at the start, got ${svg.slice(0, 20)}`);
  assert(svg.trimEnd().endsWith("</svg>"), "expected </svg> at the end");
  const open: string[] = [];
  for (
    const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([A-Za-z][\w:.-]*)[^>]*?(\/?)>/g)
  ) {
    if (selfClosing) continue;
    if (!close) open.push(name);
    else assert.equal(open.pop(), name, `</${name}> closes a different element`);
  }
  assert.deepEqual(open, [], "elements left open");
}

/** How many marks `svg` holds with this ARIA role description (e.g. "box", "line mark"). */
export function countMarks(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}
