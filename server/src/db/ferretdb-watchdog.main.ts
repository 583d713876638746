// Entry point of the embedded FerretDB's watchdog process (see spawnWatchdog): `--folder=<dir>
// --pid=<FerretDB pid> --start-time=<its start time>`. Compiled to server/dist/ferretdb-watchdog.js.
import { watchFerretdb } from './ferretdb-watchdog.js';

const arg = (name: string) =>
  process.argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .trim() ?? '';

const folder = arg('folder');
const pid = Number(arg('pid'));
if (!folder || !Number.isInteger(pid) || pid <= 0) {
  process.stderr.write('usage: ferretdb-watchdog --folder=<dir> --pid=<pid> [--start-time=<ticks>]\n');
  process.exit(64);
}
await watchFerretdb({ folder, ferretdb: { pid, startTime: arg('start-time') || null } });
