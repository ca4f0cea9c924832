"""bpcheck/run.py: bpcheck from a Python test: conform(), assert_conforms() and fixtures().

conform(answer) runs the program `bpcheck conform --format json` with the caller's own answer
function as the implementation: the runner starts this package's relay (_relay.py) with the
caller's interpreter, and the relay joins the runner's pipes to a Unix socket on which this
process serves answer() (protocol.serve). So answer may be any callable, a closure or a bound
method, and it runs where the caller's test runs, with its imports and its state. The verdict,
the evidence and the diagnosis are the runner's own (the JSON lines of PROTOCOL.md's runner,
"--format json"), read back into a Result.

The program is found as: the `program` argument, then $BPCHECK, then `bpcheck` on PATH."""
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from . import protocol

__all__ = ["conform", "assert_conforms", "fixtures", "Result", "Failure", "Error"]


class Error(Exception):
    """bpcheck could not judge: the program is missing, an argument or a fixture is unusable
    (the program's exit status 2), or its report could not be read. Never a verdict."""


class Failure:
    """One failing case: its id, the quantity and the entry that failed (quantity "grad",
    entry "W^1[1][0]"; None for a protocol failure such as a timeout), the evidence (lines:
    which entries are wrong and how), the hint (the bug model the evidence fits, or None when
    none fits alone), the message, and the whole JSON object of the case as `detail`."""

    def __init__(self, detail):
        self.detail = detail
        self.id = detail.get("id")
        self.message = detail.get("message", "")
        self.quantity = detail.get("quantity")
        self.entry = detail.get("where")
        self.evidence = list(detail.get("evidence", []))
        self.hint = detail.get("hint")
        self.protocol = bool(detail.get("protocol"))
        self.got, self.expected, self.bound = detail.get("got"), detail.get("expected"), detail.get("bound")

    def __repr__(self):
        return "Failure(%r, %r, %r, hint=%r)" % (self.id, self.quantity, self.entry, self.hint)

    def __str__(self):
        head = "%s: %s" % (self.id, self.message)
        if self.entry:
            head += " (worst: %s %s, got %r, expected %r, bound %r)" % (
                self.quantity, self.entry, self.got, self.expected, self.bound)
        lines = [head] + ["  " + e for e in self.evidence]
        if self.hint:
            lines.append("  hint: " + self.hint)
        return "\n".join(lines)


class Result:
    """What `bpcheck conform` said. passed: True when the program exits 0 (every case passed,
    or failed as an --xfail list says); failures: a Failure per failing case, in run order;
    summary: the run's closing lines as the TAP prints them (what the failures have in common,
    the likely bug, where to look first) and the counts; counts: cases, passed, failed,
    skipped, xfailed, unmeetable; diagnosis: the summary as JSON (diagnose.h); cases: every
    case's JSON object; status, command, stderr: the program's."""

    def __init__(self, command, status, lines, stderr):
        self.command, self.status, self.stderr = command, status, stderr
        self.cases, end = lines[:-1], lines[-1]
        self.counts = {k: end.get(k, 0) for k in ("cases", "passed", "failed", "skipped", "xfailed", "unmeetable")}
        self.diagnosis = end.get("summary", {})
        self.passed = status == 0
        self.failures = [Failure(c) for c in self.cases if c.get("verdict") in ("fail", "unexpected-pass")]
        self.summary = end.get("text", "").rstrip("\n")  # ends with the counts, as the TAP does
        if status == 1 and not self.counts["failed"]:
            self.summary += " (no case was judged)"

    def __repr__(self):
        return "<bpcheck.Result %s: %s>" % ("passed" if self.passed else "failed", self.summary.splitlines()[-1])

    def __str__(self):
        return self.summary


def _program(program):
    prog = program or os.environ.get("BPCHECK") or shutil.which("bpcheck")
    if not prog:
        raise Error("cannot find the bpcheck program: install bpcheck (make install, README), put its "
                    "bin/ on PATH, set BPCHECK=/path/to/bpcheck, or pass program=")
    if not (os.path.isfile(prog) and os.access(prog, os.X_OK)) and not shutil.which(prog):
        raise Error("the bpcheck program %r is not an executable file" % prog)
    return prog


def _globs(value, name):
    """only= and exclude=: a pattern or a list of them"""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not all(isinstance(v, str) for v in value):
        raise TypeError("%s: expected a glob or a list of globs; got %r" % (name, value))
    return list(value)


class _Server:
    """answer() served on a Unix socket in a temporary directory: one session a connection (the
    runner restarts its implementation after a timeout or an answer out of step), each in a
    thread of its own, so that an answer still stuck in an old session never blocks a new one."""

    def __init__(self, answer, serve_kw):
        self.answer, self.serve_kw, self.errors = answer, serve_kw, []
        self.dir = tempfile.mkdtemp(prefix="bpcheck-")
        self.path = os.path.join(self.dir, "answer.sock")
        if len(self.path.encode()) > 100:  # a Unix socket's path holds 108 bytes at most
            os.rmdir(self.dir)
            self.dir = tempfile.mkdtemp(prefix="bpcheck-", dir="/tmp")
            self.path = os.path.join(self.dir, "answer.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.listener.settimeout(0.1)  # accept() wakes to see the stop flag
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        relay = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_relay.py")
        self.command = " ".join(shlex.quote(a) for a in (sys.executable, relay, self.path))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        try:
            with conn, conn.makefile("rb") as rd, conn.makefile("wb") as wr:
                protocol.serve(self.answer, stdin=rd, stdout=wr, **self.serve_kw)
        except OSError:
            pass  # the runner killed the relay (a timeout, a restart): the session is over
        except Exception as e:  # noqa: BLE001 (serve turns answer's exceptions into answers)
            self.errors.append(e)


def _read(command, proc):
    """the program's JSON lines as a Result; Error when it did not judge"""
    err = proc.stderr.decode(errors="replace")
    if proc.returncode not in (0, 1):
        how = ("was killed by signal %d" % -proc.returncode if proc.returncode < 0
               else "exited with status %d" % proc.returncode)
        raise Error("bpcheck conform %s:\n%s" % (how, err.strip() or "(nothing on its standard error)"))
    lines = []
    for n, line in enumerate(proc.stdout.decode(errors="replace").splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise Error("bpcheck conform: line %d of its report is not JSON: %.80r" % (n, line)) from None
    if not lines or "summary" not in lines[-1]:
        raise Error("bpcheck conform: its report has no closing line (the counts):\n%s" % err.strip())
    return Result(command, proc.returncode, lines, err)


def conform(answer, fixtures=None, only=None, exclude=None, profile="float64", deep=False, *,
            capabilities=None, frames=("f64", "f32"), timeout=None, args=(), program=None):
    """Run `bpcheck conform` with answer(request) -> dict as the implementation (PROTOCOL.md;
    protocol.serve describes the request and the answer) and return its Result.

    fixtures: a directory of fixture files or one file (fixtures() writes one), default the
    installed set; only, exclude: a case-id glob or a list of them; profile: "float64" or
    "float32"; deep: also ask for z, a and delta, to place a failure in a layer;
    capabilities: declared at the hello, as for protocol.serve (a case outside them is
    skipped); frames: the binary element types answer accepts, () for JSON lists only (with
    frames, the request's arrays are numpy arrays); timeout: seconds per case; args: more
    options of `bpcheck conform`, as a list; program: the bpcheck program.

    Raises Error when bpcheck cannot judge (no program, a pattern that matches nothing, an
    unusable fixture); a failing implementation is a Result with passed False, not an Error."""
    if capabilities is not None:
        capabilities = protocol._checked(capabilities)  # a typo raises here, not in a thread
    if profile not in ("float64", "float32"):
        raise ValueError("profile: expected 'float64' or 'float32'; got %r" % (profile,))
    command = [_program(program), "conform", "--format", "json", "--profile", profile]
    if fixtures is not None:
        command += ["--fixtures", os.fspath(fixtures)]
    command += [a for g in _globs(only, "only") for a in ("--only", g)]
    command += [a for g in _globs(exclude, "exclude") for a in ("--exclude", g)]
    if deep:
        command.append("--deep")
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    command += list(args)
    with _Server(answer, {"capabilities": capabilities, "frames": tuple(frames)}) as server:
        proc = subprocess.run(command + ["--impl", server.command], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    if server.errors:
        raise Error("bpcheck.conform: serving answer failed: %r" % server.errors[0])
    return _read(command, proc)


def assert_conforms(answer, *a, **kw):
    """conform(answer, ...), and fail the calling test unless it passed: under pytest with
    pytest.fail (the message, without this function's traceback), else with AssertionError.
    The message is the run's summary (the likely bug, where to look first), then the first
    failing case in full. Returns the Result when it passed."""
    result = conform(answer, *a, **kw)
    if result.passed:
        return result
    message = "bpcheck conform: the implementation does not conform\n" + result.summary
    if result.failures:
        message += "\nfirst failure: " + str(result.failures[0])
    if sys.modules.get("pytest") is not None:  # imported, and not blocked
        sys.modules["pytest"].fail(message, pytrace=False)
    raise AssertionError(message)


def _listed(value, name):
    if isinstance(value, str):
        return value
    if not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in value):
        raise TypeError("%s: expected a list or a comma-separated string; got %r" % (name, value))
    return ",".join(str(v) for v in value)


def fixtures(path, model, sizes, batch=32, activations=None, reduction="mean", regime=None,
             seed=None, eta=None, program=None):
    """Write one exact golden-value case for the caller's own network to the file path (with
    `bpcheck fixtures`: expected values in MPFR at 2048 bits, tolerances for float64 and
    float32) and return path, for conform(fixtures=path). A directory of such files is a
    fixture set too: write several (regimes, batch sizes) into one and pass the directory.

    model: "quadratic", "loglik" or "cross-entropy"; sizes: n_0..n_L, as a list or "784,100,10";
    activations: one per layer after the input (a list or a comma-separated string), default
    the model's own; reduction: "sum" or "mean"; regime: the inputs (bpcheck fixtures --help)."""
    command = [_program(program), "fixtures", "--model", model, "--sizes", _listed(sizes, "sizes"),
               "--batch", str(batch), "--reduction", reduction, "-o", os.fspath(path)]
    if activations is not None:
        command += ["--activations", _listed(activations, "activations")]
    for flag, value in (("--regime", regime), ("--seed", seed), ("--eta", eta)):
        if value is not None:
            command += [flag, str(value)]
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise Error("bpcheck fixtures: %s" % (proc.stderr.decode(errors="replace").strip()
                                              or "exited with status %d" % proc.returncode))
    return path
