// The server's connections and the requests open on them: what one connection may cost (requests
// pipelined and not yet answered, answers that stop moving), each request's fate (answered, or its
// connection gone: Node emits no 'close' on a response queued behind another when the connection
// dies), and shutdown's view (requests still open, idle connections to close).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What one connection may cost. */
export interface ConnectionLimits {
  /**
   * Requests a connection may have received and not yet had answered (`MAX_PIPELINED`). A request
   * read past it is marked {@link OpenRequest.pastLimit}: the app refuses it before it runs, and the
   * connection closes after the answers ahead of it. (No pausing: Node resumes a socket it did not
   * pause itself whenever a request's body is read. Node does stop reading on its own once the
   * answers queued on a connection pass 16 KiB, which bounds what the refusals can pile up.)
   */
  maxPipelined: number;
  /**
   * A connection whose answers have not moved for this long while Node holds bytes for it
   * (`WRITE_TIMEOUT_MS`: the client stopped reading) is destroyed, with everything queued on it.
   * Moving is counted per write Node hands the kernel (a response body is usually one), so a
   * reader must take the largest response within this time.
   */
  writeTimeoutMs: number;
}

interface Connection {
  readonly socket: Socket;
  /** Requests received and not yet answered (or given up with the connection). */
  open: number;
  /** Requests received on it so far; the sequence number of the latest. */
  received: number;
  idleSince: number;
  /** When it was accepted (performance.now()). */
  readonly openedAt: number;
  /** The response that closes it is decided: a request read after it must not run. */
  closing: boolean;
  /** The write progress when a stall was first seen, and when. */
  stall: { sent: number; since: number } | undefined;
}

/** A request's place on its connection. */
export interface OpenRequest {
  readonly connection: Connection;
  /** Its number on the connection: 1 for the first request. */
  readonly sequence: number;
  /** It was read while its connection already had `maxPipelined` requests open. */
  readonly pastLimit: boolean;
}

/**
 * A figure that grows with every byte of `socket`'s writes the kernel takes (its changes matter,
 * not its value). `bytesWritten` counts what Node still holds too, and `writableLength` moves only
 * when a whole write completes: Node hands a response body
 * to libuv as one write (often one writev of everything queued), megabytes that a slow reader
 * takes for seconds. libuv's own count of what is left of the write in progress
 * (`_handle.writeQueueSize`, which Node's net and tls read themselves) moves with every byte the
 * kernel takes; without it (another runtime), progress is seen per completed write.
 */
function writeProgress(socket: Socket): number {
  const inLibuv = (socket as { _handle?: { writeQueueSize?: unknown } })._handle?.writeQueueSize;
  const pending = typeof inLibuv === 'number' ? inLibuv : 0;
  return socket.bytesWritten - socket.writableLength - pending;
}

/** The server's open connections and the requests on them. */
export class ConnectionTracker {
  readonly #connections = new Map<Socket, Connection>();
  readonly #requests = new WeakMap<IncomingMessage, OpenRequest>();
  readonly #limits: ConnectionLimits;
  readonly #onRefused: (reason: 'write_timeout' | 'connection_closing') => void;
  readonly #timer: NodeJS.Timeout;
  #open = 0;

  /**
   * @param server - the HTTP server to watch (attach before it listens)
   * @param limits - what one connection may cost
   * @param onRefused - counts `write_timeout` (once per connection destroyed because its answers
   *   stopped moving) and `connection_closing` ({@link ConnectionTracker.refuseAfterClose})
   */
  constructor(
    server: Server,
    limits: ConnectionLimits,
    onRefused: (reason: 'write_timeout' | 'connection_closing') => void = () => {},
  ) {
    this.#limits = limits;
    this.#onRefused = onRefused;
    server.on('connection', (socket: Socket) => {
      const connection: Connection = {
        socket,
        open: 0,
        received: 0,
        idleSince: performance.now(),
        openedAt: performance.now(),
        closing: false,
        stall: undefined,
      };
      this.#connections.set(socket, connection);
      // The connection's end is the fate of every request still open on it.
      socket.once('close', () => {
        this.#open -= connection.open;
        connection.open = 0;
        this.#connections.delete(socket);
      });
    });
    // Ahead of the app's listener, which runs the middleware at once: they read where it stands.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) =>
      this.#received(req, res),
    );
    // Write stalls are checked a few times per timeout: cheap (a look at each connection).
    this.#timer = setInterval(
      () => this.#checkStalls(),
      Math.min(1000, Math.max(25, limits.writeTimeoutMs / 4)),
    );
    this.#timer.unref();
    server.once('close', () => clearInterval(this.#timer));
  }

  #received(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.#connections.get(req.socket);
    if (connection === undefined) return;
    connection.open += 1;
    connection.received += 1;
    this.#open += 1;
    const pastLimit = connection.open > this.#limits.maxPipelined;
    this.#requests.set(req, { connection, sequence: connection.received, pastLimit });
    let answered = false;
    res.once('close', () => {
      // Closed with the connection: the connection's own close has settled it already.
      if (answered || !this.#connections.has(connection.socket)) return;
      answered = true;
      connection.open -= 1;
      this.#open -= 1;
      connection.idleSince = performance.now();
    });
  }

  #checkStalls(): void {
    const now = performance.now();
    for (const connection of this.#connections.values()) {
      const { socket } = connection;
      const sent = writeProgress(socket);
      if (socket.writableLength === 0) connection.stall = undefined;
      else if (connection.stall === undefined || connection.stall.sent !== sent) {
        connection.stall = { sent, since: now };
      } else if (now - connection.stall.since >= this.#limits.writeTimeoutMs) {
        this.#onRefused('write_timeout');
        socket.destroy();
      }
    }
  }

  /** Where `req` stands on its connection; `undefined` for a request this tracker did not see. */
  requestOf(req: IncomingMessage): OpenRequest | undefined {
    return this.#requests.get(req);
  }

  /**
   * Decides that `request`'s response closes its connection: nothing read after it runs. Returns
   * false when a later request has been read on the connection already (then that one closes it).
   */
  closeAfter(request: OpenRequest): boolean {
    const { connection } = request;
    if (request.sequence !== connection.received) return false;
    connection.closing = true;
    return true;
  }

  /** How long `request`'s connection has been open, in seconds. */
  ageSeconds(request: OpenRequest): number {
    return (performance.now() - request.connection.openedAt) / 1000;
  }

  /**
   * Marks `request`'s connection as closing after its response, whatever was read after it (a
   * refusal that closes the connection).
   */
  closeWith(request: OpenRequest): void {
    request.connection.closing = true;
  }

  /** True when `request` was read after its connection's closing response was decided. */
  readAfterClose(request: OpenRequest): boolean {
    return request.connection.closing;
  }

  /**
   * For a request read after its connection's closing answer was decided: the bare answer it
   * gets without reaching the app (nobody will read it: the connection closes before it), and
   * `onRefused('connection_closing')` counts it. `undefined` for any other request. A client that
   * pipelines thousands of requests in one packet has them all parsed and dispatched at once, so
   * each must cost as little as possible.
   */
  refuseAfterClose(req: IncomingMessage | undefined): Response | undefined {
    const request = req && this.#requests.get(req);
    if (request === undefined || !request.connection.closing) return undefined;
    this.#onRefused('connection_closing');
    return new Response(null, { status: 503, headers: { connection: 'close' } });
  }

  /** Requests received and not yet answered, on connections still open. */
  get requests(): number {
    return this.#open;
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
    for (const connection of this.#connections.values()) {
      if (connection.open === 0 && now - connection.idleSince >= idleMs) {
        connection.socket.destroy();
      }
    }
  }

  /** Closes every connection, answered or not. */
  closeAll(): void {
    for (const socket of this.#connections.keys()) socket.destroy();
  }
}
