"""Summarises a dotnet-trace speedscope export (sampled thread time) of the gateway: the share of on-CPU managed
time (stacks ending in CPU_TIME) spent inclusive in each frame, top entries, plus Rampart-only frames.
Usage: /usr/bin/python3 bench/gateway/profile.py trace.speedscope.json [top]"""
import collections
import json
import sys

doc = json.load(open(sys.argv[1]))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
frames = [f["name"] for f in doc["shared"]["frames"]]
inclusive = collections.Counter()
self_time = collections.Counter()
total = 0.0


def add(stack, weight):
    global total
    if not stack or frames[stack[-1]] != "CPU_TIME":
        return
    total += weight
    for name in {frames[i] for i in stack}:
        inclusive[name] += weight
    if len(stack) > 1:
        self_time[frames[stack[-2]]] += weight


for profile in doc["profiles"]:
    if profile["type"] == "sampled":
        for stack, weight in zip(profile["samples"], profile["weights"]):
            add(stack, weight)
    else:  # evented: open/close events; weight = time between consecutive events for the open stack
        stack, last = [], None
        for event in profile["events"]:
            if last is not None and stack:
                add(stack, event["at"] - last)
            last = event["at"]
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack:
                stack.pop()

print(f"on-CPU managed time: {total:.0f} (units of the trace)")
print("inclusive share, top frames:")
for name, w in inclusive.most_common(top):
    print(f"{100 * w / total:6.1f}%  {name[:150]}")
print("self share, top frames:")
for name, w in self_time.most_common(25):
    print(f"{100 * w / total:6.1f}%  {name[:150]}")
print("Rampart frames, inclusive:")
for name, w in [x for x in inclusive.most_common() if "Rampart" in x[0]][:30]:
    print(f"{100 * w / total:6.1f}%  {name[:150]}")
