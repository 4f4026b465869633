/**
 * Reads the extended key usages (RFC 5280 §4.2.1.12) of a DER certificate,
 * and encodes an OID to compare with them. Just enough DER for that: no
 * dependency, so that a worker checking its peer's certificate loads no X.509
 * library (`@peculiar/x509` costs ~250 ms to load). Sans-IO; a malformed or
 * truncated certificate reads as null, never as a throw.
 *
 * @module
 */

const SEQUENCE = 0x30;
const OID = 0x06;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;
/** [3] EXPLICIT, constructed: the extensions of a TBSCertificate. */
const EXTENSIONS = 0xa3;
/** id-ce-extKeyUsage, 2.5.29.37, as DER content bytes. */
const EXT_KEY_USAGE = Uint8Array.of(0x55, 0x1d, 0x25);

/** One DER element: its tag and where its content lies in the buffer. */
interface Element {
  tag: number;
  start: number;
  end: number;
}

/** The element at `offset`, or null if it does not fit before `limit` or is not DER we read. */
function element(der: Uint8Array, offset: number, limit: number): Element | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) return null; // high tag numbers: not in a certificate's path here
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  const end = start + length;
  return end > limit ? null : { tag, start, end };
}

/** The elements inside `parent`, in order; null if one of them does not fit. */
function children(der: Uint8Array, parent: Element): Element[] | null {
  const out: Element[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const child = element(der, offset, parent.end);
    if (child === null) return null;
    out.push(child);
    offset = child.end;
  }
  return out;
}

function equalBytes(der: Uint8Array, at: Element, bytes: Uint8Array): boolean {
  if (at.end - at.start !== bytes.byteLength) return false;
  for (let i = 0; i < bytes.byteLength; i++) if (der[at.start + i] !== bytes[i]) return false;
  return true;
}

/**
 * The extended key usages of certificate `der`, each as the content bytes of
 * its OID: an empty list when it has no such extension, null when the
 * certificate does not parse.
 */
export function extendedKeyUsages(der: Uint8Array): Uint8Array[] | null {
  const certificate = element(der, 0, der.byteLength);
  if (certificate === null || certificate.tag !== SEQUENCE) return null;
  const tbs = element(der, certificate.start, certificate.end);
  if (tbs === null || tbs.tag !== SEQUENCE) return null;
  const fields = children(der, tbs);
  if (fields === null) return null;
  const wrapper = fields.find((field) => field.tag === EXTENSIONS);
  if (!wrapper) return [];
  const list = element(der, wrapper.start, wrapper.end);
  if (list === null || list.tag !== SEQUENCE) return null;
  const extensions = children(der, list);
  if (extensions === null) return null;
  for (const extension of extensions) {
    if (extension.tag !== SEQUENCE) return null;
    const parts = children(der, extension);
    if (parts === null || parts.length < 2 || parts[0].tag !== OID) return null;
    if (!equalBytes(der, parts[0], EXT_KEY_USAGE)) continue;
    const value = parts[1].tag === BOOLEAN ? parts[2] : parts[1];
    if (!value || value.tag !== OCTET_STRING) return null;
    const usages = element(der, value.start, value.end);
    if (usages === null || usages.tag !== SEQUENCE) return null;
    const oids = children(der, usages);
    if (oids === null || oids.some((oid) => oid.tag !== OID)) return null;
    return oids.map((oid) => der.slice(oid.start, oid.end));
  }
  return [];
}

/**
 * The DER content bytes of a dotted OID ("1.3.6.1.5.5.7.3.2"); arcs of any
 * size. Throws TypeError for text that is not an OID.
 */
export function encodeOid(oid: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(oid)) {
    throw new TypeError(`Cannot encode an OID: received "${oid}", expected dotted decimal arcs`);
  }
  const arcs = oid.split(".").map(BigInt);
  if (arcs[0] < 2n && arcs[1] > 39n) {
    throw new TypeError(`Cannot encode an OID: received "${oid}", whose second arc exceeds 39`);
  }
  const out: number[] = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const base128: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) base128.unshift(Number(rest & 0x7fn) | 0x80);
    out.push(...base128);
  }
  return Uint8Array.from(out);
}

/** Does certificate `der` parse and name `oid` (content bytes, see `encodeOid`) among its extended key usages? */
export function hasExtendedKeyUsage(der: Uint8Array, oid: Uint8Array): boolean {
  const usages = extendedKeyUsages(der);
  if (usages === null) return false;
  return usages.some((usage) =>
    usage.byteLength === oid.byteLength && usage.every((byte, i) => byte === oid[i])
  );
}
