/**
 * The one file that loads vega: compiles a Vega-Lite spec and renders it to
 * SVG headless (renderer "none", no canvas or browser).
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** Renders `spec` to an SVG document; the same spec always yields the same bytes. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
