"""What the simulator says about itself, and commands that rerun it.

The parameter table (flag, range, --swarm off default, the swarm's range, category, unit
and how a minimizer shrinks each knob) lives in sim/config.h (SIM_PARAMS) and nowhere
else: `client-sessions-sim --params-json` prints it and params() reads it from there.
"""

import json
import shlex

from . import process

CATEGORIES = {"shape", "workload", "fault"}
UNITS = {"count", "bytes", "ops", "per-mille"}
SHRINKS = {"bisect", "lower", "zero", "raise", "keep"}


class SimulatorError(Exception):
    """The simulator could not tell its parameters."""


class Params:
    """The simulator's tunable parameters, in its own (swarm) order."""

    def __init__(self, table):
        self.table = table
        self.by_flag = {p["flag"]: p for p in table["params"]}
        self.faults_off = list(table["faults_off"])

    def flags(self, category=None, unit=None, shrink=None):
        return [p["flag"] for p in self.table["params"]
                if (category is None or p["category"] == category)
                and (unit is None or p["unit"] == unit)
                and (shrink is None or p["shrink"] == shrink)]

    def fault_rates(self):
        """The rates --faults off sets to 0."""
        return list(self.faults_off)

    def workload_rates(self):
        return self.flags(category="workload", shrink="zero")

    def ladders(self):
        """(flag, smallest value) of the knobs a minimizer lowers towards their minimum."""
        return [(flag, self.by_flag[flag]["min"]) for flag in self.flags(shrink="lower")]


def _check(table):
    params = table.get("params") if isinstance(table, dict) else None
    if not isinstance(params, list) or not params:
        raise ValueError("no 'params' list")
    for p in params:
        for key in ("flag", "help"):
            if not isinstance(p.get(key), str):
                raise ValueError(f"a parameter without a string '{key}'")
        for key in ("min", "max", "default", "swarm_min", "swarm_max"):
            if not isinstance(p.get(key), int):
                raise ValueError(f"{p['flag']}: '{key}' is not an integer")
        for key, known in (("category", CATEGORIES), ("unit", UNITS), ("shrink", SHRINKS)):
            if p.get(key) not in known:
                raise ValueError(f"{p['flag']}: unknown {key} {p.get(key)!r}")
    flags = {p["flag"] for p in params}
    if not isinstance(table.get("faults_off"), list) or not set(table["faults_off"]) <= flags:
        raise ValueError("'faults_off' is not a list of its flags")


def params(sim):
    """Params of the simulator binary sim (runs `sim --params-json`)."""
    try:
        done = process.run([sim, "--params-json"], errors="replace", timeout=60)
    except OSError as error:
        raise SimulatorError(f"cannot run {sim} --params-json: {error}") from None
    try:
        if done.timed_out:
            raise ValueError("no answer in 60 s")
        if done.returncode != 0:
            raise ValueError(f"exit status {done.returncode}: {done.stderr.strip()[-300:]}")
        table = json.loads(done.stdout)
        _check(table)
    except ValueError as error:
        raise SimulatorError(f"{sim} --params-json did not print the parameter table "
                             f"(a simulator from before --params-json?): {error}") from None
    return Params(table)


def command(argv):
    """argv as one line a shell runs as the same argv (paths with spaces quoted)."""
    return shlex.join(str(a) for a in argv)
