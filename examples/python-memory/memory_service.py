#!/usr/bin/env python3
"""tyrsim's memory service, written again from docs/protocol.md alone: Python 3, standard library
only, raw NATS protocol over a TCP socket, no code shared with the TypeScript project.

It hosts the actor `gpu<N>.mem` of every GPU it serves: the replica of the system RAM the GPU
shares with the CPU. It stores every `MemoryWritten`, answers a write outside RAM with
`MemoryWriteFailed`, and applies the injected `memory-pressure` fault (`FaultArmed` when the fault
waits for a trigger, `FaultApplied` + `MemoryPressureApplied`, or `FaultRejected`).

Configured like every tyrsim service, by environment variables:
  TYRSIM_NATS_URL      nats://host:port (default nats://127.0.0.1:4222)
  TYRSIM_SCENARIO      the scenario file: its top-level `name:` and `gpus:` give the run id and GPUs
  TYRSIM_SEED          the run's seed (run id = <name>-<seed>)
  TYRSIM_GPUS          `all` (default) or a comma-separated list of GPU numbers
  TYRSIM_SERVICE_NAME  name on the control subjects (default `memory`)
  TYRSIM_RAM_BYTES     system RAM of the GPU model (default 8589934592, the mali-g610-rk3588's)
  TYRSIM_NATS_USER / TYRSIM_NATS_PASS   login on a server with permissions (deploy/nats/)
"""
import base64
import json
import os
import re
import secrets
import signal
import socket
import sys
import time
from urllib.parse import urlparse


def log(line):
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- NATS client (protocol 1) ----


class Nats:
    """A minimal NATS client: CONNECT, PING/PONG, SUB, PUB, MSG/HMSG, request with an _INBOX."""

    def __init__(self, url, name, user=None, password=None):
        u = urlparse(url if "://" in url else "nats://" + url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 4222), timeout=5)
        self.buf = b""
        self.sid = 0
        self.handlers = {}
        self.pongs = 0
        self.errors = []
        info = self._line()
        if not info.startswith(b"INFO "):
            raise RuntimeError("not a NATS server: %r" % info[:80])
        opts = {"verbose": False, "pedantic": False, "name": name, "lang": "python3-stdlib", "version": "0.1.0", "protocol": 1, "headers": False}
        if user:
            opts["user"] = user
            opts["pass"] = password or ""
        self._send(b"CONNECT " + json.dumps(opts).encode() + b"\r\n")
        self.flush()

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except InterruptedError:
            return False
        if not chunk:
            raise ConnectionError("NATS server closed the connection")
        self.buf += chunk
        return True

    def _line(self, timeout=5.0):
        while b"\r\n" not in self.buf:
            if not self._fill(timeout):
                raise TimeoutError("no line from the NATS server")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def subscribe(self, subject, handler):
        self.sid += 1
        self.handlers[str(self.sid)] = handler
        self._send(b"SUB %s %d\r\n" % (subject.encode(), self.sid))
        return self.sid

    def unsubscribe(self, sid):
        self.handlers.pop(str(sid), None)
        self._send(b"UNSUB %d\r\n" % sid)

    def publish(self, subject, payload, reply=None):
        data = payload.encode() if isinstance(payload, str) else payload
        head = "PUB %s %s%d\r\n" % (subject, (reply + " ") if reply else "", len(data))
        self._send(head.encode() + data + b"\r\n")

    def flush(self, timeout=5.0):
        """PING and wait for its PONG: everything sent before has reached the server."""
        want = self.pongs + 1
        self._send(b"PING\r\n")
        deadline = time.monotonic() + timeout
        while self.pongs < want:
            if not self.process(max(0.01, deadline - time.monotonic())) and time.monotonic() > deadline:
                raise TimeoutError("no PONG from the NATS server")

    def process(self, timeout):
        """Handle every complete protocol message buffered (reading more for up to `timeout` s when
        none is). Returns whether anything was handled."""
        if not self._complete() and not self._fill(timeout):
            return False
        handled = False
        while self._complete():
            handled = True
            line, rest = self.buf.split(b"\r\n", 1)
            op = line.split(b" ", 1)[0].upper()
            if op in (b"MSG", b"HMSG"):
                parts = line.decode().split(" ")
                if op == b"MSG":
                    subject, sid = parts[1], parts[2]
                    reply = parts[3] if len(parts) == 5 else None
                    size, hsize = int(parts[-1]), 0
                else:
                    subject, sid = parts[1], parts[2]
                    reply = parts[3] if len(parts) == 6 else None
                    hsize, size = int(parts[-2]), int(parts[-1])
                payload = rest[hsize:size]
                self.buf = rest[size + 2:]
                handler = self.handlers.get(sid)
                if handler is not None:
                    handler(subject, reply, payload)
            else:
                self.buf = rest
                if op == b"PING":
                    self._send(b"PONG\r\n")
                elif op == b"PONG":
                    self.pongs += 1
                elif op == b"-ERR":
                    message = line[5:].decode().strip("'")
                    self.errors.append(message)
                    log("NATS error: " + message)
                # +OK and INFO need nothing
        return handled

    def _complete(self):
        """Is a whole protocol message at the head of the buffer?"""
        if b"\r\n" not in self.buf:
            return False
        line, rest = self.buf.split(b"\r\n", 1)
        parts = line.split(b" ")
        op = parts[0].upper()
        if op in (b"MSG", b"HMSG"):
            return len(rest) >= int(parts[-1]) + 2
        return True

    def request(self, subject, payload, timeout):
        inbox = "_INBOX.%s" % secrets.token_hex(8)
        answers = []
        sid = self.subscribe(inbox, lambda s, r, p: answers.append(p))
        self.publish(subject, payload, reply=inbox)
        deadline = time.monotonic() + timeout
        while not answers and time.monotonic() < deadline:
            self.process(max(0.01, deadline - time.monotonic()))
        self.unsubscribe(sid)
        return answers[0] if answers else None

    def close(self):
        self.sock.close()


# ----------------------------------------------------------------- the memory actor ----------


class MemoryReplica:
    """Actor gpu<N>.mem: system RAM's bytes, writes outside it refused, memory-pressure applied."""

    PAGE = 4096

    def __init__(self, run, gpu, ram_bytes):
        self.run = run
        self.gpu = gpu
        self.name = "gpu%d.mem" % gpu
        self.size = ram_bytes
        self.pages = {}
        self.taken = 0
        self.counter = 0  # the actor's own publication counter: ids are <name>:<n>
        self.waiting = []  # [event id, fault, trigger, matches seen]
        self.occurrences = {}

    def subject(self, path):
        return "tyrsim.%s.%s" % (self.run, path)

    def patterns(self):
        return [self.subject("gpu%d.mem.write" % self.gpu), self.subject("fault.inject")]

    def handle(self, e, out):
        """Handle one delivered event; append the drafts it publishes to `out`."""

        def publish(type_, path, payload):
            n = self.counter
            self.counter += 1
            out.append({"id": "%s:%d" % (self.name, n), "timeNs": e["timeNs"], "depth": e["depth"] + 1, "source": self.name, "n": n,
                        "subject": self.subject(path), "type": type_, "cause": e["id"], "payload": payload})

        def squeeze(fault_id, fault):
            available = self.size - self.taken
            take = min(fault["bytes"], available)
            if take <= 0:
                publish("FaultRejected", "fault.rejected", {"fault": fault_id, "kind": fault["kind"], "gpu": self.gpu,
                                                           "reason": "no RAM left to take (%d of %d bytes already taken)" % (self.taken, self.size)})
                return
            self.taken += take
            occurrence = self.occurrences.get(fault_id, 0) + 1
            self.occurrences[fault_id] = occurrence
            publish("FaultApplied", "fault.applied", {"fault": fault_id, "kind": fault["kind"], "gpu": self.gpu, "occurrence": occurrence,
                                                     "detail": "%d bytes of system RAM taken; %d left" % (take, self.size - self.taken)})
            publish("MemoryPressureApplied", "gpu%d.mem.pressure" % self.gpu, {"bytes": take, "takenBytes": self.taken, "availableBytes": self.size - self.taken})

        # 1. a memory-pressure fault for this GPU: now, or parked until its trigger
        if e["type"] == "FaultInjected":
            fault = e["payload"]["fault"]
            trigger = e["payload"].get("trigger")
            if fault.get("kind") == "memory-pressure" and fault.get("gpu", 0) == self.gpu:
                if trigger is None:
                    squeeze(e["id"], fault)
                else:
                    self.waiting.append([e["id"], fault, trigger, 0])
                    publish("FaultArmed", "fault.armed", {"fault": e["id"], "kind": fault["kind"], "gpu": self.gpu, "waitsFor": describe_trigger(trigger)})
        # 2. every event counts towards the parked triggers
        for w in list(self.waiting):
            on = w[2]["on"]
            if e["type"] == on["eventType"] and contains_subset(on.get("match"), e["payload"]):
                w[3] += 1
                if w[3] == on.get("count", 1):
                    self.waiting.remove(w)
                    squeeze(w[0], w[1])
        # 3. a write: store it, or refuse it outside RAM
        if e["type"] == "MemoryWritten":
            p = e["payload"]
            data = base64.b64decode(p["data"])
            pa = p["pa"]
            if pa < 0 or pa + len(data) > self.size:
                publish("MemoryWriteFailed", "gpu%d.mem.error" % self.gpu, {"agent": p["agent"], "pa": pa, "len": len(data),
                                                                          "reason": "physical access [0x%x, +0x%x) is outside RAM of 0x%x bytes" % (pa, len(data), self.size)})
                return
            for i, b in enumerate(data):
                page = self.pages.setdefault((pa + i) // self.PAGE, bytearray(self.PAGE))
                page[(pa + i) % self.PAGE] = b


def contains_subset(subset, payload):
    if subset is None:
        return True
    if isinstance(subset, dict):
        return isinstance(payload, dict) and all(k in payload and contains_subset(v, payload[k]) for k, v in subset.items())
    if isinstance(subset, list):
        return isinstance(payload, list) and len(subset) == len(payload) and all(contains_subset(s, p) for s, p in zip(subset, payload))
    return subset == payload and type(subset) is type(payload)


def describe_trigger(t):
    n = t["on"].get("count", 1)
    if n == 1:
        nth = "the next"
    else:
        suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        nth = "the %d%s" % (n, suffix)
    match = t["on"].get("match")
    return "%s %s%s" % (nth, t["on"]["eventType"], "" if match is None else " matching " + json.dumps(match, separators=(",", ":")))


# ----------------------------------------------------------------- the service -----------------


def scenario_field(text, key, default):
    m = re.search(r"^%s:\s*([^\s#]+)" % key, text, re.MULTILINE)
    return m.group(1).strip("\"'") if m else default


def main():
    env = os.environ
    text = open(env["TYRSIM_SCENARIO"], encoding="utf-8").read()
    run = "%s-%s" % (scenario_field(text, "name", None), env["TYRSIM_SEED"])
    gpu_list = env.get("TYRSIM_GPUS", "all")
    gpus = range(int(scenario_field(text, "gpus", "1"))) if gpu_list == "all" else [int(g) for g in gpu_list.split(",")]
    name = env.get("TYRSIM_SERVICE_NAME", "memory")
    ram = int(env.get("TYRSIM_RAM_BYTES", "8589934592"))
    actors = [MemoryReplica(run, g, ram) for g in gpus]
    ctl = "tyrsim.%s.ctl" % run

    nc = Nats(env.get("TYRSIM_NATS_URL", "nats://127.0.0.1:4222"), "tyrsim-%s-python" % name, env.get("TYRSIM_NATS_USER"), env.get("TYRSIM_NATS_PASS"))
    state = {"last": None, "ended": False, "draining": False}

    def on_level(subject, reply, payload):
        req = json.loads(payload)
        if state["last"] is not None and state["last"][0] == req["round"]:
            answer = state["last"][1]  # a retried request: the same answer, never the level twice
        else:
            drafts = []
            for e in req["events"]:  # canonical order; this actor has no timers, so nextTimer stays null
                for a in actors:
                    if any(match(p, e["subject"]) for p in a.patterns()):
                        a.handle(e, drafts)
            answer = json.dumps({"drafts": drafts, "nextTimer": None}, separators=(",", ":"))
            state["last"] = (req["round"], answer)
        if reply:
            nc.publish(reply, answer)

    def on_end(subject, reply, payload):
        state["ended"] = True

    nc.subscribe(ctl + ".svc." + name, on_level)
    nc.subscribe(ctl + ".end", on_end)
    signal.signal(signal.SIGTERM, lambda *_: state.update(draining=True))

    hello = json.dumps({"service": name, "actors": [a.name for a in actors], "shadows": [],
                        "patterns": [p for a in actors for p in a.patterns()], "nextTimer": None})
    while not state["draining"]:
        answer = nc.request(ctl + ".hello", hello, 1.0)
        if answer is None:
            continue  # no coordinator yet: say Hello again
        welcome = json.loads(answer)
        if not welcome.get("ok"):
            log("%s: coordinator refused: %s" % (name, welcome.get("reason", "no reason given")))
            return 1
        break
    nc.publish(ctl + ".health", json.dumps({"service": name, "state": "ready"}))
    log("%s: ready with %s (Python, standard library only)" % (name, ", ".join(a.name for a in actors)))
    while not state["ended"] and not state["draining"]:
        nc.process(0.2)
    if state["draining"]:
        # Drain: health first, then answer what is already buffered (the level under way), flush, exit 0.
        nc.publish(ctl + ".health", json.dumps({"service": name, "state": "draining"}))
        while nc.process(0.05):
            pass
    nc.flush()
    nc.close()
    log("%s: %s" % (name, "drained" if state["draining"] else "run finished"))
    return 0


def match(pattern, subject):
    """NATS subject matching: `*` one token, `>` the rest."""
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


if __name__ == "__main__":
    sys.exit(main())
