import net from 'node:net';

/**
 * `pass` forwards; `blackhole` keeps connections open and accepts new ones but drops every byte (a
 * database that stopped answering); `reset` resets open connections and every new one; `refuse` stops
 * listening (connection refused) and resets open connections.
 */
export type ProxyMode = 'pass' | 'blackhole' | 'reset' | 'refuse';

/**
 * A one-shot fault on the first client→database chunk that contains `match`:
 * - `reset-before`: reset that connection instead of forwarding the chunk (the write never arrives);
 * - `reset-after`: forward it, then drop the database's answer and reset the connection (the write is
 *   done, its acknowledgement lost);
 * - `blackhole-after`: forward it, then drop the answer and switch the whole proxy to `blackhole`.
 */
export type ArmedFault = { match: Buffer; action: 'reset-before' | 'reset-after' | 'blackhole-after' };

/** The bytes of a BSON string element `{ <name>: "<value>" }`, e.g. a command `{ insert: "approvals" }`. */
export function bsonStringElement(name: string, value: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32LE(Buffer.byteLength(value) + 1);
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`${name}\0`), length, Buffer.from(`${value}\0`)]);
}

type Pair = {
  client: net.Socket;
  upstream: net.Socket;
  /** Set once an armed `…-after` fault has forwarded its write: what to do with the answer. */
  onReply: 'reset-after' | 'blackhole-after' | null;
  /** Part of an answer was dropped: this connection never forwards anything again. */
  isMuted: boolean;
  lastDueAt: number;
  tail: Buffer;
};

/**
 * A TCP proxy on 127.0.0.1 between the gateway and the database, for fault tests: modes (above), a
 * latency added to every answer of the database (`setDelay`), and one-shot faults (`arm`).
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let mode: ProxyMode = 'pass';
  let delayMs = 0;
  let armed: { fault: ArmedFault; triggered: () => void } | null = null;
  const pairs = new Set<Pair>();

  const destroy = (pair: Pair, reset: boolean) => {
    pairs.delete(pair);
    if (reset) pair.client.resetAndDestroy();
    else pair.client.destroy();
    pair.upstream.destroy();
  };

  const server = net.createServer((client) => {
    if (mode === 'reset' || mode === 'refuse') return client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, onReply: null, isMuted: false, lastDueAt: 0, tail: Buffer.alloc(0) };
    pairs.add(pair);

    client.on('data', (chunk: Buffer) => {
      if (mode !== 'pass' || pair.isMuted) {
        pair.isMuted = true;
        return;
      }
      if (armed) {
        const { fault, triggered } = armed;
        const window = Buffer.concat([pair.tail, chunk]);
        pair.tail = window.subarray(Math.max(0, window.length - fault.match.length + 1));
        if (window.includes(fault.match)) {
          armed = null;
          triggered();
          if (fault.action === 'reset-before') return destroy(pair, true);
          pair.onReply = fault.action;
          upstream.write(chunk);
          return;
        }
      }
      upstream.write(chunk);
    });

    upstream.on('data', (chunk: Buffer) => {
      if (mode !== 'pass' || pair.isMuted) {
        // Dropped bytes desynchronise the connection: keep it silent from now on.
        pair.isMuted = true;
        return;
      }
      if (pair.onReply) {
        // The database answered the armed write: lose the answer.
        pair.isMuted = true;
        if (pair.onReply === 'blackhole-after') mode = 'blackhole';
        else destroy(pair, true);
        return;
      }
      if (delayMs <= 0) {
        client.write(chunk);
        return;
      }
      // Same latency for every chunk, in order.
      const dueAt = Math.max(Date.now() + delayMs, pair.lastDueAt);
      pair.lastDueAt = dueAt;
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, dueAt - Date.now());
    });

    const close = () => destroy(pair, false);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });

  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listenOn(0);
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    get mode() {
      return mode;
    },
    /** Switches mode; `refuse` stops listening and leaving it listens again on the same port. */
    async setMode(next: ProxyMode) {
      const previous = mode;
      mode = next;
      if (next === 'reset' || next === 'refuse') for (const pair of [...pairs]) destroy(pair, true);
      if (next === 'refuse' && previous !== 'refuse') {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } else if (previous === 'refuse' && next !== 'refuse') {
        await listenOn(port);
      }
    },
    /** Adds `ms` of latency to every answer of the database (0: none). */
    setDelay(ms: number) {
      delayMs = ms;
    },
    /** Arms a one-shot fault; resolves when it has been triggered. */
    arm(fault: ArmedFault): Promise<void> {
      return new Promise<void>((resolve) => {
        armed = { fault, triggered: resolve };
      });
    },
    /** Connections open through the proxy now. */
    connections: () => pairs.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) destroy(pair, false);
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
