#!/usr/bin/env python3
"""Prints N request paths for the load test: the benchmark query mix around population-weighted
GB points (places from data/gb-places.csv chosen by population, jittered like the demo data)."""
import csv, math, os, random, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
# "occurrences": the same points asking "this week" (7 days from a fixed Monday) instead.
endpoint = sys.argv[2] if len(sys.argv) > 2 else "meetings"
extra = "&days=7&from=2027-01-04T00:00:00Z" if endpoint == "occurrences" else ""
rng = random.Random(1)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "data", "gb-places.csv"), newline="", encoding="utf-8") as f:
    places = [r for r in csv.DictReader(f) if r["country"] in ("England", "Scotland", "Wales") and int(r["population"]) > 0]
weights = [int(p["population"]) for p in places]
for place in rng.choices(places, weights=weights, k=n):
    lat, lon, pop = float(place["lat"]), float(place["lon"]), int(place["population"])
    r = (0.5 + 1.5 * math.sqrt(pop / 100_000)) * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat2 = lat + math.degrees(r * math.cos(bearing) / 6371.0088)
    lon2 = lon + math.degrees(r * math.sin(bearing) / (6371.0088 * math.cos(math.radians(lat))))
    print(f"/v1/{endpoint}?lat={lat2:.5f}&lon={lon2:.5f}&radius_km=10&fellowship=aa,na&access=open&attendance=in_person&limit=100{extra}")
