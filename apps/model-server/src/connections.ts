// Tracks the HTTP server's connections and requests, so shutdown can stop accepting, let requests
// in flight finish and close keep-alive connections without cutting off a request.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

interface Tracked {
  active: number;
  idleSince: number;
}

/** The server's open connections and the requests running on them. */
export class ConnectionTracker {
  readonly #connections = new Map<Socket, Tracked>();
  #requests = 0;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.#connections.set(socket, { active: 0, idleSince: performance.now() });
      socket.once('close', () => this.#connections.delete(socket));
    });
    server.on('request', (req, res) => {
      const tracked = this.#connections.get(req.socket);
      this.#requests += 1;
      if (tracked) tracked.active += 1;
      res.once('close', () => {
        this.#requests -= 1;
        if (tracked) {
          tracked.active -= 1;
          tracked.idleSince = performance.now();
        }
      });
    });
  }

  /** Requests received and not yet answered. */
  get requests(): number {
    return this.#requests;
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * Closes connections that have had no request for at least `idleMs`. A client that sends on a
   * connection at the instant it closes sees an error, so keep `idleMs` past the keep-alive
   * timeout the server announces: clients stop reusing a connection before that.
   */
  closeIdle(idleMs: number): void {
    const now = performance.now();
    for (const [socket, t] of this.#connections) {
      if (t.active === 0 && now - t.idleSince >= idleMs) socket.destroy();
    }
  }

  /** Closes every connection, answered or not. */
  closeAll(): void {
    for (const socket of this.#connections.keys()) socket.destroy();
  }
}
