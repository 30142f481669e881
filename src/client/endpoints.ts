/**
 * Endpoint parsing: etcd clients accept `host:port`, `http://host:port` and `https://host:port`
 * (https implies TLS). IPv6 literals are written in brackets (`[::1]:2379`).
 */

/** A parsed client endpoint. `address` is what gRPC dials (`host:port`). */
export interface Endpoint {
  host: string;
  port: number;
  address: string;
  /** True for an https:// endpoint. */
  secure: boolean;
}

const PORT_MAX = 65_535;
const ENDPOINT_PATTERN = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})\/?$/;

/** Parses one endpoint. Throws RangeError (with the input quoted) on a malformed endpoint. */
export function parseEndpoint(text: string): Endpoint {
  const match = ENDPOINT_PATTERN.exec(text.trim());
  if (match === null) throw new RangeError(`bad endpoint ${JSON.stringify(text)} (want host:port or http://host:port)`);
  const [, scheme, host, portText] = match;
  const port = Number(portText);
  if (!(port >= 1 && port <= PORT_MAX)) throw new RangeError(`bad port in endpoint ${JSON.stringify(text)}`);
  return { host: host!, port, address: `${host!}:${port}`, secure: scheme === 'https' };
}

/**
 * Parses a comma-separated endpoint list (empty items are skipped).
 * Throws RangeError when the list is empty or any item is malformed.
 */
export function parseEndpointList(text: string): Endpoint[] {
  const endpoints = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(parseEndpoint);
  if (endpoints.length === 0) throw new RangeError('no endpoints given');
  return endpoints;
}
