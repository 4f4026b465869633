/**
 * One colour per transport, shared by every chart so a transport looks the
 * same in each figure.
 *
 * @module
 */
import { TRANSPORT_MODES, type TransportMode } from "./samples.ts";

/** The colour of each transport: grey for plain TCP, orange and red for TLS 1.2 and 1.3, cool hues for HTTP/3. */
export const TRANSPORT_COLORS: Readonly<Record<TransportMode, string>> = {
  "tcp": "#7f7f7f",
  "tls12": "#ff7f0e",
  "tls": "#d62728",
  "h3-1rtt": "#2ca02c",
  "h3-0rtt": "#1f77b4",
  "h3-0rtt-idempotent": "#9467bd",
};

/** The transports among `present`, once each, in the order of `TRANSPORT_MODES`. */
export function orderTransports(present: Iterable<TransportMode>): TransportMode[] {
  const seen = new Set(present);
  return TRANSPORT_MODES.filter((t) => seen.has(t));
}

/** A Vega-Lite colour channel on the `transport` field: the subset of its schema that charts use. */
export interface TransportColorDef {
  /** Always the `transport` field. */
  field: "transport";
  /** Transports are categories. */
  type: "nominal";
  /** Legend title. */
  title: string;
  /** Legend order. */
  sort: TransportMode[];
  /** Transport mode to colour. */
  scale: { domain: TransportMode[]; range: string[] };
  /** Legend settings, or null for none. */
  legend: { symbolOpacity: number } | null;
}

/**
 * A Vega-Lite colour channel on the `transport` field that maps each of
 * `transports` to its colour in `TRANSPORT_COLORS`, with a legend if asked.
 */
export function transportColor(
  transports: readonly TransportMode[],
  legend: boolean,
): TransportColorDef {
  return {
    field: "transport",
    type: "nominal",
    title: "Transport",
    sort: [...transports],
    scale: { domain: [...transports], range: transports.map((t) => TRANSPORT_COLORS[t]) },
    legend: legend ? { symbolOpacity: 1 } : null,
  };
}
