"""Summary of bench/run_bench.sh: pools the runs of its hyperfine rounds per command, prints the
table of medians with berth/X ratios and the monitor memory, and writes the same as JSON.

usage: run_summary.py FACTS OUT_JSON GOAL_MS GOAL_KB [HYPERFINE_JSON...]
FACTS holds "key<TAB>value" lines written by the script: cmd.NAME (a timed command line),
unavailable.NAME (why NAME was not timed), mem.KIND.{pid,comm,rss_kb,pss_kb}, load.before,
load.after, left.after.runs, crun.masked, podman.flags.
"""

import datetime
import json
import os
import platform
import statistics
import sys


def read_facts(path):
    facts = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            facts[key] = value
    return facts


def pooled_rows(paths, facts):
    """One row per command, in first-seen order, over the runs of every hyperfine export."""
    times = {}
    for path in paths:
        with open(path) as f:
            for result in json.load(f)["results"]:
                times.setdefault(result["command"], []).extend(result["times"])
    rows = []
    for name, ts in times.items():
        ms = [t * 1000 for t in ts]
        rows.append({"name": name, "command": facts.get("cmd." + name),
                     "median_ms": statistics.median(ms), "mean_ms": statistics.mean(ms),
                     "stddev_ms": statistics.stdev(ms) if len(ms) > 1 else 0.0,
                     "min_ms": min(ms), "max_ms": max(ms), "runs": len(ms)})
    by_name = {r["name"]: r for r in rows}
    if "crun via nsenter" in by_name and "nsenter alone" in by_name:
        # Not timed: crun's own cost, the wrapper's median taken off. That also takes off one exec
        # of the static busybox, which crun's container pays as well: the figure flatters crun.
        net = by_name["crun via nsenter"]["median_ms"] - by_name["nsenter alone"]["median_ms"]
        rows.append({"name": "crun (net of nsenter)", "median_ms": net, "derived": True})
    berth = by_name.get("berth")
    for r in rows:
        ok = berth is not None and r is not berth and r["median_ms"] > 0
        ok = ok and r["name"] != "nsenter alone"  # a measuring aid, not a contender
        r["berth_over_this"] = berth["median_ms"] / r["median_ms"] if ok else None
    return rows, berth


def print_timings(rows, berth, goal_ms):
    runs = max((r.get("runs", 0) for r in rows), default=0)
    print(f"\n{f'median of {runs} runs: run --rm busybox true':44} {'ms':>8} {'berth/X':>9}")
    for r in rows:
        if r is berth or r["name"] == "nsenter alone":
            ratio = ""
        else:
            ratio = f"{r['berth_over_this']:.2f}" if r["berth_over_this"] else "n/a"
        print(f"{r['name']:44} {r['median_ms']:8.2f} {ratio:>9}")
    if berth:
        crun = next((r for r in rows if r["name"] in ("crun", "crun (net of nsenter)")), None)
        verdict = "goal met" if berth["median_ms"] <= goal_ms else "ABOVE GOAL"
        line = f"goal: berth run --rm busybox true <= {goal_ms:g} ms: {verdict}"
        if crun:
            faster = berth["median_ms"] < crun["median_ms"]
            line += f"; faster than crun: {'yes' if faster else 'NO'}"
        print(line)


def memory_of(facts):
    memory = {}
    for kind in ("berth", "podman"):
        if f"mem.{kind}.pid" not in facts:
            continue
        rss, pss = facts.get(f"mem.{kind}.rss_kb", ""), facts.get(f"mem.{kind}.pss_kb", "")
        memory[kind] = {"pid": int(facts[f"mem.{kind}.pid"]),
                        "comm": facts.get(f"mem.{kind}.comm", ""),
                        "vmrss_kb": int(rss) if rss else None, "pss_kb": int(pss) if pss else None}
    b, p = memory.get("berth"), memory.get("podman")
    for key in ("vmrss", "pss"):
        if b and p and b[key + "_kb"] and p[key + "_kb"]:
            memory[f"berth_over_conmon_{key}"] = b[key + "_kb"] / p[key + "_kb"]
    return memory


def print_memory(memory, goal_kb):
    print(f"\n{'idle monitor (run -d busybox sleep 60)':44} {'VmRSS kB':>9} {'Pss kB':>8}")
    for kind, label in (("berth", "berth monitor"), ("podman", "conmon (podman)")):
        if kind in memory:
            m = memory[kind]
            print(f"{label + ' pid ' + str(m['pid']):44} {m['vmrss_kb'] or '?':>9}"
                  f" {m['pss_kb'] or '?':>8}")
    if "berth_over_conmon_vmrss" in memory:
        pss = memory.get("berth_over_conmon_pss")
        print(f"{'berth/conmon':44} {memory['berth_over_conmon_vmrss']:9.2f}"
              f" {f'{pss:.2f}' if pss else 'n/a':>8}")
    b = memory.get("berth")
    if b and b["vmrss_kb"]:
        verdict = "goal met" if b["vmrss_kb"] <= goal_kb else "ABOVE GOAL"
        print(f"goal: berth monitor VmRSS <= {goal_kb:g} kB: {verdict}")


def main():
    facts_path, out_path = sys.argv[1], sys.argv[2]
    goal_ms, goal_kb = float(sys.argv[3]), float(sys.argv[4])
    facts = read_facts(facts_path)
    rows, berth = pooled_rows(sys.argv[5:], facts)
    unavailable = {k.split(".", 1)[1]: v for k, v in facts.items() if k.startswith("unavailable.")}
    memory = memory_of(facts)
    if rows:
        print_timings(rows, berth, goal_ms)
    for name, why in unavailable.items():
        print(f"{name}: not available: {why}")
    if memory:
        print_memory(memory, goal_kb)
    left = facts.get("left.after.runs")
    out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "kernel": platform.release(), "cores": os.cpu_count(),
           "loadavg_before": facts.get("load.before"), "loadavg_after": facts.get("load.after"),
           "containers_left_after_runs": int(left) if left else None,
           "goal_ms": goal_ms, "goal_monitor_kb": goal_kb, "timings": rows,
           "unavailable": unavailable, "memory": memory,
           "notes": {k: v for k, v in facts.items() if k in ("crun.masked", "podman.flags")}}
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    main()
