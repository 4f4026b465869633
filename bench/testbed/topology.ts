/**
 * The shape of a test bed as `ip` commands: a pure function of the host list,
 * so it is tested with literals and run by `ip -batch`.
 *
 * Every host is a network namespace with one veth, `eth0`, whose peer sits in
 * a hub namespace. Neighbour entries are permanent, so no ARP exchange is ever
 * delayed. The hub either bridges the peers (netem: the delay is a qdisc on
 * each host's `eth0`) or leaves them to the delay line, which forwards frames
 * between them.
 *
 * @module
 */

/** Where test-bed hosts get their addresses: 10.77.0.1, 10.77.0.2, ... */
export const SUBNET = "10.77.0.0/24";
/** The most hosts one test bed holds (one /24, and the delay line's limit). */
export const MAX_HOSTS = 250;

/** One host of a planned test bed. */
export interface HostPlan {
  /** The name the caller gave the host. */
  name: string;
  /** Its network namespace. */
  namespace: string;
  /** Its IPv4 address on `eth0`. */
  address: string;
  /** The MAC of its `eth0` (locally administered, derived from the address). */
  mac: string;
  /** The name of its veth peer inside the hub namespace. */
  hubLink: string;
}

/** A planned test bed: the namespaces and the `ip -batch` lines that build it. */
export interface TopologyPlan {
  /** The hub namespace (bridge or delay line). */
  hub: string;
  /** The hosts, in the order given. */
  hosts: HostPlan[];
  /** Lines for `ip -batch` in the root namespace: namespaces and veth pairs. */
  root: string[];
  /** Lines for `ip -n <hub> -batch`. */
  hubSetup: string[];
  /** Lines for `ip -n <host namespace> -batch`, per host namespace. */
  hostSetup: Record<string, string[]>;
}

/** Host names become namespace names, so they are kept to a safe alphabet. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Checks a host list: 1 to MAX_HOSTS distinct, safe names; throws TypeError/RangeError. */
export function validateHosts(hosts: readonly string[]): void {
  if (hosts.length < 1 || hosts.length > MAX_HOSTS) {
    throw new RangeError(
      `Cannot create a test bed: received ${hosts.length} hosts, expected 1 to ${MAX_HOSTS}`,
    );
  }
  const seen = new Set<string>();
  for (const host of hosts) {
    if (!HOST_NAME.test(host)) {
      throw new TypeError(
        `Cannot create a test bed: received host name ${
          JSON.stringify(host)
        }, expected letters, digits, "-" and "_" (at most 32)`,
      );
    }
    if (seen.has(host)) {
      throw new TypeError(`Cannot create a test bed: received host ${host} twice`);
    }
    seen.add(host);
  }
}

/** The address of the host at `index` (0-based). */
export function hostAddress(index: number): string {
  return `10.77.0.${index + 1}`;
}

/** The MAC for an IPv4 address: 02:00 followed by the address bytes. */
export function macFor(address: string): string {
  const bytes = address.split(".").map((part) => Number(part).toString(16).padStart(2, "0"));
  return ["02", "00", ...bytes].join(":");
}

/**
 * Plans a test bed named `base` (namespaces `<base>-<host>` and `<base>.hub`).
 * With `bridge`, the hub joins the peers in a Linux bridge; without, it leaves
 * them for the delay line.
 */
export function planTopology(
  base: string,
  hosts: readonly string[],
  options: { mtu: number; bridge: boolean },
): TopologyPlan {
  validateHosts(hosts);
  const hub = `${base}.hub`;
  const plans: HostPlan[] = hosts.map((name, index) => {
    const address = hostAddress(index);
    return {
      name,
      namespace: `${base}-${name}`,
      address,
      mac: macFor(address),
      hubLink: `h${index}`,
    };
  });
  const mtu = options.mtu;
  const root = [
    `netns add ${hub}`,
    ...plans.map((host) => `netns add ${host.namespace}`),
    ...plans.map((host) =>
      `link add ${host.hubLink} netns ${hub} mtu ${mtu} type veth ` +
      `peer name eth0 netns ${host.namespace} mtu ${mtu} address ${host.mac}`
    ),
  ];
  // addrgenmode none: no IPv6 link-local addresses, so no IPv6 chatter on the links.
  const hubSetup = [
    ...(options.bridge
      ? ["link add br0 type bridge", "link set br0 addrgenmode none", "link set br0 up"]
      : []),
    ...plans.flatMap((host) => [
      `link set ${host.hubLink} addrgenmode none`,
      `link set ${host.hubLink} ${options.bridge ? "master br0 " : ""}up`,
    ]),
  ];
  const hostSetup: Record<string, string[]> = {};
  for (const host of plans) {
    hostSetup[host.namespace] = [
      "link set lo up",
      "link set eth0 addrgenmode none",
      "link set eth0 up",
      `addr add ${host.address}/24 dev eth0`,
      ...plans.filter((other) => other !== host).map((other) =>
        `neigh replace ${other.address} lladdr ${other.mac} dev eth0 nud permanent`
      ),
    ];
  }
  return { hub, hosts: plans, root, hubSetup, hostSetup };
}
