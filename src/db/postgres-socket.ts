import { connect, type Socket } from "node:net";
import { ConnectionLost } from "./errors.js";

/** Where postgres.js says to connect: its parsed options, as it passes them to the `socket` option. */
interface Target {
  host: string[];
  port: number[];
  /** A Unix socket's path, when the host is a directory. */
  path?: string | false;
}

/**
 * postgres.js's `socket` option: a connected socket to the server, as long as
 * `mayConnect()` says so; after that, every attempt fails with
 * ConnectionLost. A client whose connections must not come back (postgres.js
 * would carry a dead connection's state into the new one, or send statements
 * queued for a transaction outside it) is given one that stops saying so.
 * Connects to the first host only (our URLs name one).
 */
export function socketFactory(mayConnect: () => boolean, timeoutMs: number): (target: Target) => Promise<Socket> {
  return (target) => {
    if (!mayConnect()) return Promise.reject(new ConnectionLost("this client's connections may not be opened again"));
    const host = target.host[0]!;
    const port = target.port[0]!;
    return new Promise((resolve, reject) => {
      const socket = target.path ? connect(target.path) : connect(port, host);
      // For postgres.js's error messages ("write CONNECTION_CLOSED host:port").
      Object.assign(socket, { host, port });
      const timer = setTimeout(
        () => socket.destroy(Object.assign(new Error(`connect ETIMEDOUT ${target.path || `${host}:${port}`}`), { code: "ETIMEDOUT" })),
        timeoutMs,
      );
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(socket);
      });
    });
  };
}
