#!/usr/bin/env python3
"""Turns a `meetingmap export` file into a Meeting Guide feed, as benches/import.rs builds it:
the CLI import benchmark's input. Optional split into N feeds (round robin) for multi-feed runs.
Usage: mgfeed.py EXPORT.json OUT.json [N]  (with N, writes OUT-0.json .. OUT-(N-1).json)"""
import json, sys

def record(m):
    types = {"open": ["O"], "closed": ["C"]}.get(m["access"], [])
    if m["attendance"] != "in_person":
        types.append("ONL")
    types += ["ST", "X"]
    r = {"slug": m["id"], "name": m["name"], "types": types, "notes": m["notes"],
         "updated": "2026-10-01 12:00:00"}
    s = m.get("schedule")
    if s:
        days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        r.update(day=days.index(s["day"]), time=s["start_time"], end_time=s["end_time"],
                 timezone=s["timezone"])
    loc = m.get("location")
    if loc:
        r.update(location=loc["venue"], address=", ".join(loc["address_lines"]), city=loc["town"],
                 country="GB", latitude=loc["lat"], longitude=loc["lon"], approximate="no")
    if m.get("online"):
        r["conference_url"] = m["online"]["url"]
    return r

meetings = json.load(open(sys.argv[1]))["meetings"]
records = [record(m) for m in meetings]
if len(sys.argv) > 3:
    n = int(sys.argv[3])
    stem = sys.argv[2].removesuffix(".json")
    for i in range(n):
        json.dump(records[i::n], open(f"{stem}-{i}.json", "w"))
else:
    json.dump(records, open(sys.argv[2], "w"))
