// What @hono/node-server tells a middleware about a request's connection, read for the request's
// fate: its response handed to Node, or its connection gone. Node (20 to 24) emits no 'close' on a
// response queued behind another on a pipelined connection when that connection dies, so the
// connection's own 'close' is the event that ends every request still open on it.

/** The parts of a Node socket used here. */
interface NodeSocket {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** The parts of a Node `ServerResponse` used here. */
interface NodeOutgoing {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  once(event: 'close' | 'finish', listener: () => void): unknown;
  off(event: 'close' | 'finish', listener: () => void): unknown;
}

/** A request served by `@hono/node-server`: its `c.env`. */
export interface NodeBindings {
  incoming: { readonly socket: NodeSocket | null };
  outgoing: NodeOutgoing;
}

/** `c.env` when it is `@hono/node-server`'s, else `undefined` (`app.request()`, other runtimes). */
export function nodeBindings(env: unknown): NodeBindings | undefined {
  const node = env as Partial<NodeBindings> | undefined;
  if (typeof node?.outgoing?.once !== 'function' || node.incoming === undefined) return undefined;
  return node as NodeBindings;
}

// One 'close' listener per socket, however many requests are open on it (a pipelining client may
// have many): the callbacks of the requests still waiting on it.
const onClose = new WeakMap<NodeSocket, Set<() => void>>();

/**
 * Calls `fn` once when `socket` closes (at once, synchronously, if it is destroyed already).
 * Returns a function that cancels the call.
 */
export function whenClosed(socket: NodeSocket, fn: () => void): () => void {
  if (socket.destroyed) {
    fn();
    return () => {};
  }
  let waiting = onClose.get(socket);
  if (waiting === undefined) {
    const set = new Set<() => void>();
    waiting = set;
    onClose.set(socket, set);
    socket.once('close', () => {
      onClose.delete(socket);
      for (const callback of set) callback();
      set.clear();
    });
  }
  const set = waiting;
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * Calls `fn` exactly once, at the first of: the response has been handed to Node whole
 * (`res.end()` was called: what is left is the bytes going out to the client), it finished or
 * closed, or its connection closed. Call it after the handler has returned its response; the
 * adapter writes it within the same event-loop turn, so the check runs on the next one
 * (`setImmediate`). A streamed body is handed over when the stream ends.
 */
export function whenHandedOver(node: NodeBindings, fn: () => void): void {
  const { outgoing } = node;
  const socket = node.incoming.socket;
  let done = false;
  let cancel = () => {};
  const settle = () => {
    if (done) return;
    done = true;
    cancel();
    outgoing.off('finish', settle);
    outgoing.off('close', settle);
    fn();
  };
  if (socket === null || outgoing.destroyed) {
    settle();
    return;
  }
  cancel = whenClosed(socket, settle);
  if (done) return;
  outgoing.once('finish', settle);
  outgoing.once('close', settle);
  setImmediate(() => {
    if (outgoing.writableEnded) settle();
  });
}
