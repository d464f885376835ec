#!/usr/bin/env python3
"""scripts/repro: reruns one simulator seed with a trace; shrinks a failure; writes a bug
report. The failure signature of a process that aborted comes from cs.signatures, as in
scripts/sweep; the knobs the minimizer turns, and how, come from the simulator itself
(client-sessions-sim --params-json).
"""

import os
import re
import shlex
import sys
import tempfile
import time

from . import ROOT, builds, checkout, exits, mutants, process, results, seeds, signatures
from . import simulator

OURS_TAKING_VALUE = {"--mutant", "--sim", "--build-root", "--max-runs", "--tail", "--entropy"}
NOT_FOR_THE_SIMULATOR = {"--seed", "--seeds", "--stride", "--trace", "--json", "--quiet",
                         "--bench", "--bench-seconds", "--params-json", "--dry-run"}

USAGE = """\
usage: scripts/repro SEED [--minimize] [--report] [--mutant NAME] [--sim PATH]
                          [--max-runs N] [--tail N] [SIMULATOR ARGS...]
       scripts/repro --entropy FILE [the same options]

Reruns one seed of client-sessions-sim with a trace, in build-repro/ (debug, -O0,
ASan+UBSan; built if needed, after installing meson, ninja and a C compiler with
scripts/setup build when they are missing):
  client-sessions-sim --seed SEED --trace build-repro/traces/seed-SEED.txt [ARGS...]
SEED is decimal or 0x hex, as printed by a failure or by scripts/sweep. Pass the same
extra arguments as the printed reproduce command (e.g. --swarm off --replicas 3).
Prints the simulator's summary, where the trace went and, on failure, its last lines.
With --entropy FILE instead of SEED, the run is the one a fuzz_sim input makes
(client-sessions-sim --entropy FILE: a fuzzer finding, or a corpus file).

  --minimize      shrink the failure, keeping its signature (e.g. decision.evictee,
                  assert:core/src/table.c:client_sessions_put:EXPR): bisect --ops,
                  then lower --replicas, --clients-max, --clients, --faults-max and
                  set each fault and workload rate (--p-*) to 0, one at a time, while
                  it still fails the same way; repeat until nothing shrinks. The knobs
                  and how each shrinks come from client-sessions-sim --params-json.
                  Prints the minimal command, the shrink (before -> after) and the
                  minimal run's trace.
  --report        print a Markdown bug report on standard output (commit, seed,
                  signature, configuration, minimal command, last lines of the trace);
                  implies --minimize, whose progress goes to standard error
  --mutant NAME   use a core built with the mutant NAME (core/mutants/NAME.patch):
                  BUILD_ROOT/NAME/build, the release build scripts/mutants makes
  --build-root D  where --mutant builds go (default build-mutants/)
  --sim PATH      use this simulator binary, build nothing (scripts/sweep prints
                  --sim in its repro lines when it ran with --sim)
  --max-runs N    most simulator runs while minimizing (default 400)
  --tail N        trace lines shown (default 15; --minimize shows up to 60)

Exit status: the simulator's, for the (minimal) run: 0 ok, 1 check failure,
2 usage, 3 nondeterminism, 4 environment or build error, 134 abort.
Environment: REPRO_BUILD_DIR overrides build-repro/.

examples:
  scripts/repro 0x1d
  scripts/repro 0x1d --swarm off --replicas 3
  scripts/repro 1 --mutant evict_tie_slot --minimize
  scripts/repro 0x1d --report > bug.md
  scripts/repro --entropy corpus/regressions/fuzz_sim/NAME --minimize
"""



def usage_error(message):
    print(f"repro: {message}\n{USAGE.splitlines()[0]}\ntry 'scripts/repro --help'",
          file=sys.stderr)
    sys.exit(exits.USAGE)


def say(message):
    sys.stdout.flush()
    print(f"repro: {message}", file=sys.stderr, flush=True)


# ---- arguments ----

class Options:
    seed = None
    entropy = None  # --entropy FILE, absolute: the run's identity instead of a seed
    minimize = report = False
    mutant = sim = None
    build_root = os.path.join(ROOT, "build-mutants")
    max_runs, tail = 400, 15

    def __init__(self):
        self.sim_args = []


def parse_args(argv):
    o = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        flag, has_inline, inline = arg.partition("=")
        if arg in ("-h", "--help"):
            print(USAGE, end="")
            sys.exit(0)
        if arg == "--":
            o.sim_args += argv[i + 1:]
            break
        if arg in ("--minimize", "--report"):
            setattr(o, arg[2:], True)
        elif flag in OURS_TAKING_VALUE:
            if not has_inline:
                if i + 1 >= len(argv):
                    usage_error(f"{flag} needs a value")
                i += 1
            value = inline if has_inline else argv[i]
            set_option(o, flag, value)
        elif o.seed is None and o.entropy is None and not arg.startswith("-"):
            try:
                o.seed = seeds.parse_seed(arg)
            except ValueError:
                usage_error(f"bad seed '{arg}' (decimal or 0x hex, below 2^64)")
        elif o.seed is None and o.entropy is None:
            usage_error(f"SEED comes before simulator arguments such as '{arg}' "
                        "(or --entropy FILE does)")
        else:
            if flag in NOT_FOR_THE_SIMULATOR:
                usage_error(f"{flag} is set by scripts/repro (the seed is SEED; the trace "
                            "goes to the build's traces/)")
            o.sim_args.append(arg)
        i += 1
    if o.seed is None and o.entropy is None:
        usage_error("SEED (or --entropy FILE) is missing")
    if o.seed is not None and o.entropy is not None:
        usage_error("SEED and --entropy FILE do not go together: the file is the seed")
    if o.mutant and o.sim:
        usage_error("--mutant and --sim do not go together")
    o.minimize = o.minimize or o.report
    return o


def set_option(o, flag, value):
    if flag == "--mutant":
        known = mutants.catalogue()
        if value not in known:
            usage_error(f"unknown mutant '{value}'; known: {', '.join(known)}")
        o.mutant = value
    elif flag == "--sim":
        if not os.access(value, os.X_OK):
            usage_error(f"--sim {value} is not an executable")
        o.sim = value
    elif flag == "--build-root":
        o.build_root = os.path.abspath(value)
    elif flag == "--entropy":
        if not os.path.isfile(value) or not os.access(value, os.R_OK):
            usage_error(f"--entropy {value} is not a readable file")
        o.entropy = os.path.abspath(value)
    else:
        if not value.isdigit() or int(value) < 1:
            usage_error(f"{flag} needs a positive integer, got '{value}'")
        setattr(o, flag[2:].replace("-", "_"), int(value))


# ---- building ----

def simulator_of(o):
    """(path of the simulator, directory for traces, a description of the build)."""
    if o.sim:
        parent = os.path.dirname(os.path.abspath(o.sim))
        directory = (os.path.dirname(parent) if os.path.basename(parent) == "sim"  # a build
                     else os.path.join(tempfile.gettempdir(), "client-sessions-repro"))
        return o.sim, directory, f"the binary {relative(o.sim)}"
    try:
        if o.mutant:
            directory = mutants.build(o.mutant, o.build_root, [builds.SIMULATOR], "repro")
            description = f"release build with the mutant {o.mutant} ({relative(directory)})"
            return builds.simulator(directory), directory, description
        directory = os.environ.get("REPRO_BUILD_DIR") or os.path.join(ROOT, "build-repro")
        sim = builds.repro_simulator(directory, "repro", say=say)
        return sim, directory, f"debug build with ASan+UBSan ({relative(directory)})"
    except (builds.BuildError, mutants.MutantError) as error:
        say(str(error))
        sys.exit(exits.ENVIRONMENT)


def relative(path):
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


# ---- running ----

def identity(o):
    """The simulator arguments that name the run: --seed, or --entropy FILE."""
    return ["--entropy", o.entropy] if o.entropy else ["--seed", f"0x{o.seed:016x}"]


def label(o):
    """The run in words: 'seed 0x1d' or 'entropy FILE'."""
    return f"entropy {relative(o.entropy)}" if o.entropy else f"seed 0x{o.seed:x}"


def trace_name(o, suffix=""):
    if o.entropy:
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in os.path.basename(o.entropy))
        return f"entropy-{stem}{suffix}.txt"
    return f"seed-0x{o.seed:x}{suffix}.txt"


class Runner:
    """Runs the simulator on one seed; remembers every answer (runs are deterministic)."""

    def __init__(self, sim, identity_args, base_args, timeout):
        self.sim, self.identity, self.base_args, self.timeout = (sim, identity_args, base_args,
                                                                 timeout)
        self.cache, self.runs = {}, 0
        self.quiet_stdout = False  # --report: the simulator's own lines go to standard error
        self.env = dict(os.environ)
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")  # ubsan signatures

    def argv(self, knobs):
        return [*self.identity, *self.base_args,
                *[part for flag, value in knobs for part in (f"--{flag}", str(value))]]

    def verdict(self, knobs):
        """(exit status, signature or None, the JSON result or None) for these knob values."""
        key = tuple(knobs)
        if key not in self.cache:
            self.runs += 1
            done = process.run([self.sim, *self.argv(knobs), "--json"], errors="replace",
                               timeout=self.timeout, env=self.env)
            if done.timed_out:
                self.cache[key] = (-1, "timeout", None)
                return self.cache[key]
            code = done.status
            result = None
            for line in done.stdout.splitlines():
                if line.startswith("{"):
                    result = results.parse_simulator_line(line) or result
            if result is not None and result.get("failure"):
                signature = result["failure"].get("signature")
            elif result is None and code not in (0, exits.USAGE):
                signature = signatures.abort_signature(done.stderr, code)
                last = (done.stderr.strip().splitlines() or [f"exit status {code}"])[-1]
                result = {"failure": {"signature": signature, "message": last}}
            else:
                signature = None
            self.cache[key] = (code, signature, result)
        return self.cache[key]

    def traced(self, knobs, trace):
        """Runs with a trace, the simulator's own output shown; returns its exit status."""
        sys.stdout.flush()
        # In the command's session: the simulator's summary goes to the terminal as is.
        done = process.run([self.sim, *self.argv(knobs), "--trace", trace], stdin=None,
                           stdout=sys.stderr if self.quiet_stdout else None, stderr=None,
                           env=self.env, own_session=False)
        return done.status


def trace_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def config_from_trace(lines):
    """The configuration the run echoed as the trace's first line, in its order."""
    if not lines or not lines[0].startswith("config "):
        return None
    pairs = re.findall(r"(\S+)=(\S+)", lines[0])
    return {key: int(value) for key, value in pairs if key not in ("seed", "swarm")}


def show_trace(path, lines, count):
    if not lines:
        say(f"the trace {path} is empty: the simulator died before it wrote its buffer")
        return
    shown = lines if len(lines) <= count else lines[-count:]
    what = "the trace" if len(shown) == len(lines) else f"the last {len(shown)} lines of the trace"
    say(f"{what} ({path}):")
    sys.stderr.write("".join(f"  {line}\n" for line in shown))


# ---- minimizing ----

class Minimizer:
    def __init__(self, runner, params, signature, config, user_knobs, failure_op, max_runs):
        self.runner, self.signature, self.max_runs = runner, signature, max_runs
        self.faults = params.fault_rates()
        self.workload = params.workload_rates()
        self.ladders = params.ladders()
        self.order = list(config)  # the simulator's own order, for a readable command
        self.original = dict(config)
        self.current = dict(config)
        self.user = dict(user_knobs)  # knobs the original command set explicitly
        self.failure_op = failure_op

    def knobs(self, values):
        """Only the knobs that differ from the original run, plus the user's own."""
        return [(k, values[k]) for k in self.order if values[k] is not None
                and (k in self.user or values[k] != self.original[k])]

    def fails(self, changes):
        """Does the run with these changes still fail with the same signature?"""
        if self.runner.runs >= self.max_runs:
            return False
        code, signature, _ = self.runner.verdict(self.knobs({**self.current, **changes}))
        return code != 0 and signature == self.signature

    def accept(self, changes):
        if changes and self.fails(changes):
            self.current.update(changes)
            return True
        return False

    def shrink_ops(self):
        """Bisection on --ops, starting from the op that failed when it is known."""
        high = self.current["ops"]
        if high is None:  # not known (an abort lost the trace): gallop up to a failing length
            high = next((2**k for k in range(21) if self.fails({"ops": 2**k})), None)
            if high is None:
                return False
        op = self.failure_op
        if op and 0 < op < high and self.fails({"ops": op}):
            high = op
        low = 1
        while low < high and self.runner.runs < self.max_runs:
            middle = (low + high) // 2
            if self.fails({"ops": middle}):
                high = middle
            else:
                low = middle + 1
        changed = high != self.current["ops"]
        self.current["ops"] = high
        return changed

    def shrink_ladder(self, knob, smallest):
        """The smallest of a few lower values (smallest first) that still fails."""
        value = self.current.get(knob)
        if value is None or value <= smallest:
            return False
        steps = {smallest, smallest + 1, smallest + 2, smallest + 3,
                 value // 8, value // 4, value // 2, value - 1}
        return any(self.accept({knob: step}) for step in sorted(s for s in steps
                                                                 if smallest <= s < value))

    def round(self):
        changed = self.shrink_ops()
        on = [k for k in self.faults if self.current.get(k)]
        if len(on) > 1 and self.accept({k: 0 for k in on}):  # all fault kinds at once
            changed = True
        for knob, smallest in self.ladders:
            changed |= self.shrink_ladder(knob, smallest)
        for knob in self.faults + self.workload:  # then each kind alone
            if self.current.get(knob):
                changed |= self.accept({knob: 0})
        changed |= self.fewer_checkpoints()
        return changed

    def fewer_checkpoints(self):
        """A longer --checkpoint-interval: fewer checkpoints, a shorter trace."""
        interval, ops = self.current.get("checkpoint-interval"), self.current.get("ops")
        if interval is None or ops is None:
            return False
        steps = sorted({min(ops, 1000000), min(4 * interval, ops), min(2 * interval, ops)},
                       reverse=True)
        return any(self.accept({"checkpoint-interval": step}) for step in steps
                   if step > interval)

    def run(self):
        for _ in range(4):  # until nothing shrinks; a smaller config may fail sooner
            if not self.round() or self.runner.runs >= self.max_runs:
                break
        # A longer interval that a shorter --ops made moot: one flag fewer.
        original, ops = self.original.get("checkpoint-interval"), self.current.get("ops")
        if original is not None and ops is not None and \
                self.current["checkpoint-interval"] != original >= ops:
            self.accept({"checkpoint-interval": original})
        return self.current


def faults_off(params, knobs, base_args):
    """Every fault rate at zero says the same as --faults off, which is shorter."""
    flags = dict(knobs)
    rates = params.fault_rates()
    if "--faults" in base_args or any(flags.get(k) != 0 for k in rates):
        return knobs, base_args
    return [(k, v) for k, v in knobs if k not in rates], [*base_args, "--faults", "off"]


def describe_shrink(params, before, after, ops_failed, events_before, events_after):
    fault_rates, workload_rates = params.fault_rates(), params.workload_rates()
    parts = []
    if ops_failed[0] and ops_failed[1] and ops_failed[0] != ops_failed[1]:
        parts.append(f"failing op {ops_failed[0]} -> {ops_failed[1]}")
    for knob in params.flags(shrink="bisect") + [flag for flag, _ in params.ladders()]:
        old, new = before.get(knob), after.get(knob)
        if old != new:
            ratio = f" ({old / new:.0f}x)" if knob == "ops" and old and new else ""
            parts.append(f"{knob} {'?' if old is None else old} -> {new}{ratio}")
    faults = [k[2:] for k in fault_rates if before.get(k)]
    faults_after = [k[2:] for k in fault_rates if after.get(k)]
    if faults:
        parts.append(f"fault kinds {len(faults)} -> {len(faults_after)}"
                     + (f" ({', '.join(faults_after)} kept)" if faults_after else ""))
    workload = [k for k in workload_rates if before.get(k) and not after.get(k)]
    if workload:
        parts.append("workload rates set to 0: " + ", ".join(workload))
    if events_before and events_after:
        parts.append(f"trace lines {events_before} -> {events_after} "
                     f"({events_before / events_after:.0f}x)")
    return "; ".join(parts)


def command_line(sim, runner, knobs, base_args):
    return " ".join(shlex.quote(a) for a in [relative(sim), *runner.identity, *base_args,
                                             *[p for k, v in knobs for p in (f"--{k}", str(v))]])


def repro_line(o, knobs, base_args):
    extra = [f"--mutant {o.mutant}"] if o.mutant else []
    if o.mutant and o.build_root != os.path.join(ROOT, "build-mutants"):
        extra += [f"--build-root {shlex.quote(relative(o.build_root))}"]
    extra += [f"--sim {shlex.quote(os.path.abspath(o.sim))}"] if o.sim else []
    args = [*base_args, *[p for k, v in knobs for p in (f"--{k}", str(v))]]
    first = f"scripts/repro --entropy {shlex.quote(o.entropy)}" if o.entropy else \
        f"scripts/repro 0x{o.seed:x}"
    return " ".join([first, *extra, *map(shlex.quote, args)])


def user_knobs(sim_args, config):
    """The configuration knobs given on the command line, and every other argument."""
    knobs, rest, i = {}, [], 0
    while i < len(sim_args):
        flag, has_inline, inline = sim_args[i].partition("=")
        name = flag[2:] if flag.startswith("--") else None
        if name in config:
            value = inline if has_inline else (sim_args[i + 1] if i + 1 < len(sim_args) else "")
            i += 0 if has_inline else 1
            try:
                knobs[name] = seeds.parse_seed(value)
            except ValueError:
                usage_error(f"{flag} needs an integer, got '{value}'")
        else:
            rest.append(sim_args[i])
        i += 1
    return knobs, rest


def minimize(o, sim, directory, original_trace, description):
    """Shrinks the failure; returns (exit status of the minimal run, a report dict)."""
    lines = trace_lines(original_trace)
    config = config_from_trace(lines)
    started = time.monotonic()
    try:
        params = simulator.params(sim)
    except simulator.SimulatorError as error:
        say(str(error))
        return exits.ENVIRONMENT, None
    probe = Runner(sim, identity(o), o.sim_args, timeout=600)
    code, signature, result = probe.verdict([])
    if code == 0:
        say("the seed passes: nothing to minimize")
        return 0, None
    if signature is None:
        say(f"the simulator exited {code} without a failure to keep (usage or environment)")
        return code, None
    if config is None:  # an abort lost the trace's buffer: the config comes from 1 op
        _, _, first = probe.verdict([("ops", 1)])
        config = dict((first or {}).get("config") or {})
        config.pop("swarm", None)
        config.pop("inject-bit-flip", None)
        if "ops" not in config:
            say("cannot learn the configuration of this seed; not minimizing")
            return code, None
        config["ops"] = user_knobs(o.sim_args, config)[0].get("ops")
    knobs, base_args = user_knobs(o.sim_args, config)
    config.update(knobs)
    seconds = (result or {}).get("duration_ms", 1000) / 1000
    runner = Runner(sim, identity(o), base_args, timeout=max(30, 20 * seconds))
    runner.cache[tuple((k, v) for k, v in config.items() if k in knobs)] = (code, signature,
                                                                               result)
    failure_op = ((result or {}).get("failure") or {}).get("op")
    say(f"minimizing {label(o)}, signature {signature} ({description})")
    minimizer = Minimizer(runner, params, signature, config, knobs, failure_op, o.max_runs)
    minimal = minimizer.run()
    final_knobs, final_base = faults_off(params, minimizer.knobs(minimal), base_args)
    final = Runner(sim, identity(o), final_base, timeout=runner.timeout)
    if final.verdict(final_knobs)[1] != signature:  # --faults off changed something after all
        final_knobs, final_base = minimizer.knobs(minimal), base_args
        final = Runner(sim, identity(o), final_base, timeout=runner.timeout)
    trace = os.path.join(directory, "traces", trace_name(o, "-minimal"))
    final.quiet_stdout = o.report
    status = final.traced(final_knobs, trace)
    minimal_lines = trace_lines(trace)
    _, minimal_signature, minimal_result = final.verdict(final_knobs)
    failed_at = (failure_op, ((minimal_result or {}).get("failure") or {}).get("op"))
    shrink = describe_shrink(params, config, minimal, failed_at, len(lines), len(minimal_lines))
    before = command_line(sim, runner, [(k, v) for k, v in config.items() if k in knobs],
                          base_args)
    after = command_line(sim, final, final_knobs, final_base)
    say(f"minimized in {runner.runs + probe.runs} runs ({time.monotonic() - started:.1f} s); "
        f"signature {minimal_signature}" + (" kept" if minimal_signature == signature else
                                           f" CHANGED from {signature}"))
    out = sys.stderr if o.report else sys.stdout  # --report: standard output is the report
    print(f"before:  {before}\nminimal: {after}\nshrink:  {shrink}\n"
          f"again:   {repro_line(o, final_knobs, final_base)}", file=out)
    show_trace(trace, minimal_lines, max(o.tail, 60))
    failure = ((minimal_result or {}).get("failure") or {})
    return status, {"signature": minimal_signature, "before": before, "after": after,
                    "shrink": shrink, "original": config, "minimal": minimal,
                    "failure": failure, "trace": trace, "trace_lines": minimal_lines,
                    "repro": repro_line(o, final_knobs, final_base)}


# ---- the bug report ----

def markdown(o, description, info, tail):
    commit = checkout.git("rev-parse", "HEAD") or "unknown (not a git checkout)"
    dirty = checkout.git("status", "--porcelain", "--untracked-files=no")
    failure = info["failure"]
    rows = [("commit", f"`{commit}`" + (" with uncommitted changes" if dirty else "")),
            ("build", description),
            ("entropy", f"`{relative(o.entropy)}`") if o.entropy else ("seed", f"`0x{o.seed:016x}`"),
            ("signature", f"`{info['signature']}`")]
    if failure.get("message"):
        first = failure["message"].splitlines()[0]
        died = info["signature"].split(":")[0] in ("assert", "asan", "ubsan", "signal", "exit")
        rows.append(("abort" if died else "first divergence", first))
    out = [f"## Simulator failure `{info['signature']}` ({label(o)})", "",
           "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], "",
           "### Reproduce", "", "```sh", info["repro"], "# or, without the script:",
           info["after"], "```", "",
           f"Minimized from `{info['before']}`: {info['shrink']}.", "",
           "### Configuration", "", "| knob | original | minimal |", "|---|---:|---:|"]
    for knob, value in info["original"].items():
        now = info["minimal"].get(knob)
        mark = f"**{now}**" if now != value else str(now)
        out.append(f"| {knob} | {'?' if value is None else value} | {mark} |")
    lines = info["trace_lines"][-tail:] or [
        "(empty: the simulator died before it wrote its buffered trace)"]
    out += ["", f"### Last lines of the trace ({relative(info['trace'])})", "", "```", *lines,
            "```", ""]
    return "\n".join(out)


def main(argv):
    o = parse_args(argv)
    sim, directory, description = simulator_of(o)
    os.makedirs(os.path.join(directory, "traces"), exist_ok=True)
    trace = os.path.join(directory, "traces", trace_name(o))
    runner = Runner(sim, identity(o), o.sim_args, timeout=None)
    runner.quiet_stdout = o.report
    status = runner.traced([], trace)
    lines = trace_lines(trace)
    say(f"trace written to {trace} ({len(lines)} lines); exit status {status}")
    if status not in (0, exits.USAGE, exits.ENVIRONMENT) and lines and not o.minimize:
        show_trace(trace, lines, o.tail)
    if not o.minimize or status in (exits.USAGE, exits.ENVIRONMENT):
        return status
    if status == 0:
        say(f"the {label(o).split()[0]} passes: nothing to minimize")
        return 0
    status, info = minimize(o, sim, directory, trace, description)
    if o.report and info:
        print(markdown(o, description, info, max(o.tail, 30)))
    return status
