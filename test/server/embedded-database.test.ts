import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../server/src/config.js';
import {
  applyPatches,
  freePort,
  isPortOpen,
  openEmbeddedDatabase,
  type EmbeddedDatabase,
} from '../../server/src/db/embedded-ferretdb.js';
import { isProcessAlive, readJsonFile } from '../../server/src/db/ferretdb-processes.js';
import { uniqueDbName } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';
import { spawnGatewayProcess, until, waitForReady, type GatewayProcess } from '../support/process.js';

const run = promisify(execFile);
const TOOLS_DIR = path.join(REPO_ROOT, '.tools');

type State = {
  pid: number | null;
  startTime: string | null;
  port: number;
  instanceId: string;
  watchdog?: { pid: number; startTime: string | null } | null;
};
const stateOf = (dataDir: string) => readJsonFile<State>(path.join(dataDir, 'ferretdb', 'embedded.json'));
const usersOf = (dataDir: string) => readdirSync(path.join(dataDir, 'ferretdb', 'users'));

// Everything a test starts, ended after it whatever happened: gateways, handles, detached FerretDBs, folders.
const gateways: GatewayProcess[] = [];
const handles: EmbeddedDatabase[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.kill()));
  await Promise.all(handles.splice(0).map((h) => h.stop().catch(() => {})));
  for (const dir of dataDirs.splice(0)) {
    const state = stateOf(dir);
    if (state?.pid && isProcessAlive({ pid: state.pid, startTime: state.startTime })) {
      process.kill(state.pid, 'SIGKILL');
      await until(() => !isProcessAlive({ pid: state.pid!, startTime: state.startTime }), 'FerretDB killed', 5_000);
    }
    // And any FerretDB on this folder not recorded yet (a start cut short by a failure), found by its arguments,
    // and its watchdog (which would end by itself within seconds once FerretDB is gone).
    for (const pid of processesWithArgument(`-sqlite-url=file:${realpathSync(dir)}`)) process.kill(pid, 'SIGKILL');
    for (const pid of processesWithArgument(`--folder=${realpathSync(dir)}`)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Pids whose command line has an argument starting with `prefix` (Linux; none elsewhere). */
function processesWithArgument(prefix: string): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => arg.startsWith(prefix));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Process group id (Linux: field 5 of /proc/<pid>/stat). */
const processGroup = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2];
};

function tempDataDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cqp-embedded-${label}-`));
  dataDirs.push(dir);
  return dir;
}

async function gateway(env: Record<string, string>): Promise<GatewayProcess> {
  const g = await spawnGatewayProcess({ LOG_LEVEL: 'info', CHEQPOINT_TOOLS_DIR: TOOLS_DIR, ...env });
  gateways.push(g);
  return g;
}

async function open(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  const handle = await openEmbeddedDatabase({ toolsDir: TOOLS_DIR, dataDir, port, log: () => {} });
  handles.push(handle);
  return handle;
}

/** `npm run cheqpoint -- …` on the embedded database (no MONGODB_URI). */
async function cli(env: Record<string, string>, ...args: string[]) {
  const { stdout } = await run(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    ['server/src/cli/cheqpoint.ts', ...args],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        CHEQPOINT_TOOLS_DIR: TOOLS_DIR,
        ...env,
      },
    },
  );
  return stdout;
}

describe('The embedded database shared by gateways', () => {
  it('When two gateways share it and the one that started FerretDB stops, then the other keeps serving; when the last one stops, FerretDB stops', async () => {
    const dataDir = tempDataDir('shared');
    const port = await freePort();
    const env = { CHEQPOINT_DATA_DIR: dataDir, CHEQPOINT_EMBEDDED_DB_PORT: String(port) };

    // Both start at once: exactly one of them starts FerretDB, the other waits for it and uses it.
    const [a, b] = await Promise.all([gateway(env), gateway(env)]);
    await Promise.all([waitForReady(a, 60_000), waitForReady(b, 60_000)]);
    const starters = [a, b].filter((g) => g.output().includes('embedded FerretDB started'));
    expect(starters).toHaveLength(1);
    const [starter, other] = starters[0] === a ? [a, b] : [b, a];
    expect(other.output()).toContain('using the embedded FerretDB already running');
    const state = stateOf(dataDir)!;
    const ferretdb = { pid: state.pid!, startTime: state.startTime };
    expect(isProcessAlive(ferretdb)).toBe(true);
    expect(usersOf(dataDir)).toHaveLength(2);
    // Its own process group: a Ctrl-C (SIGINT to the terminal's foreground group) of a gateway misses it.
    if (existsSync(`/proc/${ferretdb.pid}/stat`))
      expect(processGroup(ferretdb.pid)).not.toBe(processGroup(starter.child.pid!));

    // A CLI command while the gateways run: it uses their FerretDB and leaves it running.
    const account = JSON.parse(await cli(env, 'account', 'create', 'shared-db', '--json')) as { flowKey: string };
    expect(isProcessAlive(ferretdb)).toBe(true);

    starter.child.kill('SIGTERM');
    expect(await starter.exited).toBe(0);
    expect(isProcessAlive(ferretdb)).toBe(true);
    expect(usersOf(dataDir)).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      expect((await call(other.url, 'GET', '/readyz')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await call(other.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: account.flowKey,
      body: uniqueRequest(),
    });
    expect(created.status, created.text).toBe(202);
    expect(
      (await call(other.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: account.flowKey })).status,
    ).toBe(200);

    other.child.kill('SIGTERM');
    expect(await other.exited).toBe(0);
    await until(() => !isProcessAlive(ferretdb), 'FerretDB to stop after the last gateway', 10_000);
    expect(await isPortOpen(port)).toBe(false);
    expect(usersOf(dataDir)).toHaveLength(0);
  }, 180_000);

  it('When every gateway using it is killed with SIGKILL, then its watchdog stops FerretDB (port closed, process gone) within 30 s, but not while one gateway still lives', async () => {
    const dataDir = tempDataDir('killed');
    const port = await freePort();
    const env = { CHEQPOINT_DATA_DIR: dataDir, CHEQPOINT_EMBEDDED_DB_PORT: String(port) };
    const first = await gateway(env);
    await waitForReady(first, 60_000);
    const second = await gateway(env);
    await waitForReady(second, 60_000);
    const state = stateOf(dataDir)!;
    const ferretdb = { pid: state.pid!, startTime: state.startTime };
    const watchdog = state.watchdog!;
    expect(isProcessAlive(watchdog)).toBe(true);
    const account = JSON.parse(await cli(env, 'account', 'create', 'killed-db', '--json')) as { flowKey: string };

    // The gateway that started FerretDB dies without a word: the other one goes on serving. Waiting three
    // watchdog rounds (5 s each) shows the watchdog sees the live one.
    first.child.kill('SIGKILL');
    await first.exited;
    await new Promise((r) => setTimeout(r, 15_000));
    expect(isProcessAlive(ferretdb)).toBe(true);
    const created = await call(second.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: account.flowKey,
      body: uniqueRequest(),
    });
    expect(created.status, created.text).toBe(202);

    // The last one dies the same way: nothing is left to stop FerretDB but the watchdog.
    second.child.kill('SIGKILL');
    await second.exited;
    const killedAt = Date.now();
    await until(async () => !isProcessAlive(ferretdb) && !(await isPortOpen(port)), 'FerretDB to stop', 40_000);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    await until(() => !isProcessAlive(watchdog), 'the watchdog to end', 10_000);
    expect(stateOf(dataDir)!.pid).toBeNull();
    expect(readFileSync(path.join(dataDir, 'ferretdb', 'ferretdb.log'), 'utf8')).toMatch(
      /watchdog: no process uses the database any more; stopped FerretDB/,
    );

    // The next gateway starts a new FerretDB on the same data, with a watchdog of its own.
    const next = await gateway(env);
    await waitForReady(next, 60_000);
    expect(
      (await call(next.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: account.flowKey })).status,
    ).toBe(200);
    expect(isProcessAlive(stateOf(dataDir)!.watchdog)).toBe(true);
  }, 180_000);

  it('When the port is taken by the embedded database of another data folder, then the gateway exits non-zero naming the port, the folder and the fix', async () => {
    const theirs = tempDataDir('theirs');
    const mine = tempDataDir('mine');
    const port = await freePort();
    const db = await open(theirs, port);
    expect(db.isStarted).toBe(true);

    const g = await gateway({ CHEQPOINT_DATA_DIR: mine, CHEQPOINT_EMBEDDED_DB_PORT: String(port) });
    expect(await g.exited).toBe(69);
    const output = g.output();
    expect(output).toContain(`127.0.0.1:${port}`);
    expect(output).toContain(mine);
    expect(output).toContain('another data folder');
    expect(output).toMatch(/Fix: set CHEQPOINT_EMBEDDED_DB_PORT/);
    expect(usersOf(mine)).toHaveLength(0);
    expect(stateOf(mine)).toBeNull();

    // Their database is untouched and still theirs.
    expect(await isPortOpen(port)).toBe(true);
    await db.stop();
    expect(await isPortOpen(port)).toBe(false);
  }, 120_000);

  it('When something that is not a Cheqpoint embedded database listens on the port, then opening it fails with the fix', async () => {
    // The test database (FerretDB of the test setup, or MONGODB_URI when it is local) carries no marker.
    const given = new URL(inject('mongodbUri'));
    if (given.hostname !== '127.0.0.1' || !given.port) return;
    const dataDir = tempDataDir('foreign');
    await expect(
      openEmbeddedDatabase({ toolsDir: TOOLS_DIR, dataDir, port: Number(given.port), log: () => {} }),
    ).rejects.toThrow(
      /not the embedded[\s\S]*no marker of a Cheqpoint embedded database[\s\S]*CHEQPOINT_EMBEDDED_DB_PORT/,
    );
    expect(usersOf(dataDir)).toHaveLength(0);
  });

  it('When a data folder was made by Cheqpoint 0.1.0 (no state file, no marker), then the first start marks it and serves its data; a second user keeps FerretDB running until it stops too', async () => {
    const dataDir = tempDataDir('upgrade');
    cpSync(path.join(REPO_ROOT, 'test', 'fixtures', 'data-0.1.0'), dataDir, { recursive: true });
    const { accountId } = readJsonFile<{ accountId: string }>(path.join(dataDir, 'approvals.json'))!;
    const port = await freePort();

    const first = await open(dataDir, port);
    expect([first.isStarted, first.isOwned]).toEqual([true, true]);
    const conn = await mongoose.createConnection(`${first.uri}cheqpoint`).asPromise();
    try {
      const marker = await conn
        .db!.collection<{ _id: string; instanceId: string }>('cheqpoint_embedded')
        .findOne({ _id: 'embedded-database' });
      expect(marker?.instanceId).toBe(stateOf(dataDir)?.instanceId);
      const account = await conn.db!.collection<{ _id: string }>('accounts').findOne({ _id: accountId });
      expect(account?._id).toBe(accountId);
    } finally {
      await conn.close();
    }

    const second = await open(dataDir, port);
    expect([second.isStarted, second.isOwned]).toEqual([false, true]);
    const pid = stateOf(dataDir)!.pid!;
    await first.stop();
    expect(isProcessAlive({ pid })).toBe(true);
    await second.stop();
    expect(isProcessAlive({ pid })).toBe(false);
    expect(await isPortOpen(port)).toBe(false);

    // The next start finds a dead pid and no listener: it starts a new FerretDB on the same folder.
    const third = await open(dataDir, port);
    expect(third.isStarted).toBe(true);
    expect(stateOf(dataDir)!.pid).not.toBe(pid);
    await third.stop();
  }, 120_000);

  it('When a gateway left a registration behind (killed), then the next stop ignores it and stops FerretDB', async () => {
    const dataDir = tempDataDir('stale');
    const port = await freePort();
    const db = await open(dataDir, port);
    // A registration of a pid that does not run (pid 2^22 + 1 is above Linux's default pid_max).
    writeFileSync(path.join(dataDir, 'ferretdb', 'users', '4194305-dead.json'), JSON.stringify({ pid: 4194305 }));
    const pid = stateOf(dataDir)!.pid!;
    await db.stop();
    expect(isProcessAlive({ pid })).toBe(false);
    expect(usersOf(dataDir)).toHaveLength(0);
  }, 60_000);
});

describe('FerretDB patches', () => {
  it('When a patch does not apply exactly once, then the build stops and names it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cqp-patch-'));
    try {
      mkdirSync(path.join(dir, 'a'));
      writeFileSync(path.join(dir, 'a', 'x.go'), 'one\ntwo\ntwo\n');
      const patch = (old: string) => [{ file: 'a/x.go', old, new: 'three', why: 'because' }];
      expect(() => applyPatches(dir, patch('four'))).toThrow(/patch 1 .* a\/x\.go[\s\S]*occurs 0 times/);
      expect(() => applyPatches(dir, patch('two'))).toThrow(/occurs 2 times/);
      expect(() => applyPatches(dir, [{ ...patch('one')[0]!, file: 'b.go' }])).toThrow(/does not exist/);
      applyPatches(dir, patch('one'));
      expect(existsSync(path.join(dir, 'a', 'x.go'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('When documents are looked up by _id, then the database searches its _id index (SQLite and PostgreSQL backends)', async () => {
    const conn = await mongoose.createConnection(inject('mongodbUri'), { dbName: uniqueDbName('explain') }).asPromise();
    try {
      const things = conn.db!.collection<{ _id: string | mongoose.Types.ObjectId; n: number }>('things');
      await things.insertMany(Array.from({ length: 200 }, (_, n) => ({ _id: `k${n}`, n })));
      const oid = new mongoose.Types.ObjectId();
      await things.insertOne({ _id: oid, n: -1 });

      const isFerretdb = !process.env['MONGODB_URI'];
      const isPostgresql = process.env['CHEQPOINT_TEST_FERRETDB_HANDLER'] === 'postgresql';
      const indexSearch = !isFerretdb ? /IDHACK|IXSCAN|EXPRESS/ : isPostgresql ? /Index Scan/ : /USING INDEX/;
      for (const filter of [{ _id: 'k7' }, { _id: oid }, { _id: 'k7', n: 7 }]) {
        const plan = JSON.stringify((await things.find(filter).explain())['queryPlanner']);
        expect(plan, JSON.stringify(filter)).toMatch(indexSearch);
      }

      // Only _id is pushed down; the rest of a filter still applies.
      expect(await things.countDocuments({ _id: 'k7', n: 7 })).toBe(1);
      expect(await things.countDocuments({ _id: 'k7', n: 8 })).toBe(0);
      expect((await things.updateOne({ _id: 'k8', n: 9 }, { $set: { n: 0 } })).modifiedCount).toBe(0);
      expect((await things.updateOne({ _id: 'k8', n: 8 }, { $set: { n: 80 } })).modifiedCount).toBe(1);
      expect((await things.findOne({ _id: 'k8' }))?.n).toBe(80);
      expect((await things.deleteOne({ _id: oid, n: 5 })).deletedCount).toBe(0);
      expect((await things.deleteOne({ _id: oid })).deletedCount).toBe(1);
      expect(await things.countDocuments({})).toBe(200);
    } finally {
      await conn.dropDatabase().catch(() => {});
      await conn.close();
    }
  });
});
