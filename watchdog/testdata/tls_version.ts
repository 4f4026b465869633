/**
 * The TLS version a `node:tls` client negotiates with a server, for tests of
 * the TLS 1.2 baseline (`tls12`): Deno's fetch cannot say which it used.
 *
 * @module
 */
import { connect, type ConnectionOptions } from "node:tls";

/** Who connects, and the versions it offers. */
export type NegotiateOptions =
  & Pick<ConnectionOptions, "minVersion" | "maxVersion" | "cert" | "key">
  & { ca: string };

/** Connects to `port` on 127.0.0.1 as `localhost`; resolves the protocol, or rejects with the handshake's error. */
export function negotiatedVersion(port: number, options: NegotiateOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port, servername: "localhost", ...options, ca: [options.ca] },
      () => {
        resolve(socket.getProtocol() ?? "unknown");
        socket.end();
      },
    );
    socket.once("error", reject);
  });
}
