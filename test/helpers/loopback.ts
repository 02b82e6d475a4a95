import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The server of a test fake, listening on loopback. */
export interface Loopback {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Stops listening (after dropping the open connections, requests in flight included, unless told otherwise). */
  close(): Promise<void>;
}

/** Serves `handle` on 127.0.0.1 at a free port: the start and stop every fake PSA (and proxy) of the tests shares. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
  options: { dropConnectionsOnClose?: boolean } = {},
): Promise<Loopback> {
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      if (options.dropConnectionsOnClose ?? true) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
