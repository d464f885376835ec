"""ops-report: scripts/report's HTML, parsed with html.parser, shows the numbers of its input.

Two nights of real simulator results (the second in two shards), then what nights go
through: two seeds turned into failures (a check and an abort), three lines lost (a gap),
one line delivered twice (a duplicate), one truncated line, and a shard on another commit.
usage: report.py SOURCE_ROOT SIMULATOR"""
import html.parser
import json
import os
import subprocess
import sys
import tempfile

root, sim = sys.argv[1], sys.argv[2]
commit = "89abcdef0123456789abcdef0123456789abcdef"


class Page(html.parser.HTMLParser):
    """Every element that carries data-* attributes, and every external reference."""

    def __init__(self):
        super().__init__()
        self.elements, self.external, self.tags = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        data = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}
        if data:
            self.elements.append((tag, attrs.get("class"), attrs.get("id"), data))
        for key in ("src", "href"):
            if attrs.get(key) is not None:
                self.external.append((tag, key, attrs[key]))

    def find(self, key, tag=None):
        return [d for t, _, _, d in self.elements if key in d and (tag is None or t == tag)]


def sweep(out, date, *extra):
    done = subprocess.run([os.path.join(root, "scripts", "sweep"), "--sim", sim, "--seeds", "40",
                           "--seed-base", f"nightly:{date}@{commit}", "--sim-arg=--ops",
                           "--sim-arg=100", "--jobs", "2", "--allow-missing-scenarios",
                           "--quiet", "--out", out, *extra],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    with open(out) as f:
        return [json.loads(line) for line in f]


def write(path, lines, extra=""):
    with open(path, "w") as f:
        f.writelines(json.dumps(line) + "\n" for line in lines)
        f.write(extra)


with tempfile.TemporaryDirectory() as tmp:
    a = sweep(os.path.join(tmp, "a.jsonl"), "2025-01-01")
    b0 = sweep(os.path.join(tmp, "b0.jsonl"), "2025-01-02", "--shard", "0/2")
    b1 = sweep(os.path.join(tmp, "b1.jsonl"), "2025-01-02", "--shard", "1/2")
    a.sort(key=lambda line: line["seed"])
    a[5].update(outcome="fail", failure={"signature": "decision.slot", "op": 3, "replica": 1,
                                         "message": "slot differs"}, reproduce="sim --seed 5")
    a[9].update(outcome="abort", failure={"signature": "assert:core/src/table.c:65",
                                          "message": "assertion failed"}, reproduce="sim 9")
    b1.sort(key=lambda line: line["seed"])
    lost = [line["seed"] for line in b1[4:7]]
    b1 = b1[:4] + b1[7:] + [b0[0]]
    for line in b1[:4]:  # this shard ran on another commit: still the same night
        line["sweep"] = {**line["sweep"], "commit": "f" * 40}
    write(os.path.join(tmp, "a.jsonl"), a, '{"seed": 12, "outc')
    write(os.path.join(tmp, "b1.jsonl"), b1)
    files = [os.path.join(tmp, n) for n in ("a.jsonl", "b0.jsonl", "b1.jsonl")]
    out = os.path.join(tmp, "report.html")
    done = subprocess.run([os.path.join(root, "scripts", "report"), *files, "-o", out],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    strict = subprocess.run([os.path.join(root, "scripts", "report"), *files, "-o", out,
                             "--fail-on-failure"], capture_output=True, text=True, timeout=60)
    assert strict.returncode == 1, f"--fail-on-failure exited {strict.returncode}"
    page = Page()
    with open(out) as f:
        text = f.read()
    page.feed(text)

# Self-contained: no scripts, stylesheets, images or links to load.
assert not page.external, f"external references: {page.external}"
assert not page.tags & {"script", "link", "img", "iframe", "object"}, page.tags
assert "<svg" in text and "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")

nights = {"2025-01-01": a, "2025-01-02": b0 + b1}
unique = {}
for date, lines in nights.items():
    unique[date] = {line["seed"]: line for line in lines}
everything = [line for lines in unique.values() for line in lines.values()]
metrics = {d["metric"]: d["value"] for d in page.find("metric")}
expected = {"files": 3, "lines": len(a) + len(b0) + len(b1), "sweeps": 2,
            "seeds": len(everything), "ok": len(everything) - 2, "fail": 1, "abort": 1,
            "failed": 2, "signatures": 2, "missing": len(lost), "duplicates": 1}
for key, value in expected.items():
    assert int(metrics[key]) == value, f"{key}: {metrics[key]}, expected {value}"
cpu = sum(line["duration_ms"] for line in everything if "duration_ms" in line) / 1000
assert abs(float(metrics["cpu_seconds"]) - cpu) < 0.01, (metrics["cpu_seconds"], cpu)
malformed = [d for _, _, id_, d in page.elements if id_ == "malformed"]
assert malformed and malformed[0]["count"] == "1", "the truncated line is not reported"

groups = {d["signature"]: d for d in page.find("signature", "tr")}
assert groups["decision.slot"]["count"] == "1" and groups["decision.slot"]["smallest"] == \
    str(a[5]["seed"]), groups
assert groups["assert:core/src/table.c:65"]["smallest"] == str(a[9]["seed"]), groups
# A signature from before assertions named their function still groups, marked line-based.
assert groups["assert:core/src/table.c:65"]["line-based"] == "1", groups
assert groups["decision.slot"]["line-based"] == "0", groups

kinds = {d["kind"]: d for d in page.find("kind", "g")}
for kind in everything[0]["scenarios"]:
    seen = sum(line["scenarios"][kind] > 0 for line in everything)
    events = sum(line["scenarios"][kind] for line in everything)
    assert int(kinds[kind]["seeds"]) == seen and int(kinds[kind]["events"]) == events, kind

bins = page.find("count", "g")
assert sum(int(d["count"]) for d in bins) == len(everything), "histogram does not add up"

rows = {d["night"]: d for d in page.find("night", "tr")}
for date, lines in unique.items():
    row = next(r for label, r in rows.items() if label.startswith(date))
    failed = sum(line["outcome"] != "ok" for line in lines.values())
    assert int(row["seeds"]) == len(lines) and int(row["failed"]) == failed, (date, row)
second = next(r for label, r in rows.items() if label.startswith("2025-01-02"))
assert int(second["missing"]) == 3 and int(second["duplicates"]) == 1, second
gaps = [(int(d["missing-from"]), int(d["missing-to"])) for d in page.find("missing-from")]
assert sorted(s for lo, hi in gaps for s in range(lo, hi + 1)) == sorted(lost), (gaps, lost)
assert page.find("night", "g") and page.find("night", "td"), "no charts over time"
assert "f" * 40 in text and "commits:" in text, "a night on two commits is not reported"
print(f"ops-report: ok ({len(everything)} seeds in 2 nights, {len(kinds)} scenario kinds, "
      f"{len(bins)} run-time bins, gaps and duplicates found)")
