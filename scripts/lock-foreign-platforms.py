#!/usr/bin/env python3
"""Adds lockfile entries for optional platform packages (other OSes/CPUs) that this machine's npm
registry mirror does not serve, so that `npm ci` finds every optional dependency in the lock.

npm cannot resolve them here (404), leaves them out of package-lock.json, and `npm ci` then
refuses the lock ("Missing: @rollup/rollup-darwin-arm64@ from lock file"). The entries carry the
os/cpu/libc of the package, so npm skips them on this platform without fetching anything.
Run after `npm install` whenever the lock is regenerated: python3 scripts/lock-foreign-platforms.py
"""
import json
import re
import sys

OS = {"android": "android", "darwin": "darwin", "freebsd": "freebsd", "linux": "linux",
      "win32": "win32", "openbsd": "openbsd", "openharmony": "openharmony", "sunos": "sunos",
      "aix": "aix", "netbsd": "netbsd"}
CPU = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x", "mips64el", "wasm32"]

path = sys.argv[1] if len(sys.argv) > 1 else "package-lock.json"
lock = json.load(open(path))
packages = lock["packages"]
added = 0
for key, entry in list(packages.items()):
    for name, version in (entry.get("optionalDependencies") or {}).items():
        target = f"node_modules/{name}"
        if target in packages:
            continue
        base = name.split("/")[-1]
        os_name = next((OS[p] for p in re.split(r"[-_]", base) if p in OS), None)
        cpu = next((c for c in CPU if re.search(rf"(^|-){c}(-|$)", base)), None)
        if os_name is None or cpu is None:
            continue  # not a platform package: leave it to npm
        spec = {"version": version, "cpu": [cpu], "optional": True, "os": [os_name]}
        if base.endswith("-musl"):
            spec["libc"] = ["musl"]
        elif os_name == "linux" and ("-gnu" in base or base.endswith("-gnueabihf")):
            spec["libc"] = ["glibc"]
        packages[target] = spec
        added += 1
lock["packages"] = dict(sorted(packages.items(), key=lambda item: (item[0] != "", item[0])))
with open(path, "w") as out:
    json.dump(lock, out, indent=2)
    out.write("\n")
print(f"added {added} foreign-platform entries to {path}")
