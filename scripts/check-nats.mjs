// Pre-test check (run first by `npm test`): the NATS tests need a `nats-server` binary, and this
// says which server they will talk to. Plain Node so it runs before anything is compiled.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";

function findBinary() {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d.length > 0);
  for (const path of [...dirs.map((d) => join(d, "nats-server")), "/usr/sbin/nats-server"]) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here; try the next
    }
  }
  return undefined;
}

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

const binary = findBinary();
if (binary === undefined) {
  console.error(`check-nats: nats-server not found (looked on PATH and at /usr/sbin/nats-server).
The NATS transport and JetStream log tests start their own server, so install it:
  Debian/Ubuntu:  sudo apt-get install nats-server
  Any platform:   download a release from https://github.com/nats-io/nats-server/releases
  With Go:        go install github.com/nats-io/nats-server/v2@latest   (then put $(go env GOPATH)/bin on PATH)`);
  process.exit(1);
}
const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
const url = process.env.TYRSIM_NATS_URL
  ? `${process.env.TYRSIM_NATS_URL} (TYRSIM_NATS_URL)`
  : (await reachable("127.0.0.1", 4222))
    ? "nats://127.0.0.1:4222 (reachable)"
    : "a private server started by the tests";
console.log(`check-nats: ${version} at ${binary}; NATS tests will use ${url}`);
