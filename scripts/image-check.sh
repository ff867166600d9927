#!/usr/bin/env bash
# Prove the Dockerfile's ragd image recipe on this Debian 12 host, without a Docker
# engine:
#   1. parse the Dockerfile (never a copy of it): the build and runtime package lists
#      (the RUN after each "# image-check: ... packages" comment), the build stage's
#      `swift build` command, and the runtime stage's USER, ENV, HEALTHCHECK,
#      ENTRYPOINT and CMD;
#   2. install the build packages that are missing, resolve the dependencies from
#      Package.swift alone (the cached layer) and run the same `swift build` into
#      .build-image (gitignored);
#   3. ldd + dpkg -S: every shared library the binary needs must come from a package
#      the runtime stage installs or that debian:bookworm-slim already has (its
#      Essential/required packages and apt); libraries the binary links directly must
#      be named outright, the rest may arrive as dependencies of those packages;
#   4. start the binary as the Dockerfile's numeric USER with its ENV (FCGI_LISTEN
#      moved into a temp dir), pass the HEALTHCHECK command against it (and see a probe
#      of a missing path fail), stop it with TERM and expect exit 0.
#
#   scripts/image-check.sh [--skip-build]     (as root: installs packages, switches uid)
# --skip-build reuses .build-image from an earlier run. Prints the binary's path last.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dockerfile=$repo/Dockerfile
scratch=$repo/.build-image
skip_build=0
[ "${1:-}" = --skip-build ] && skip_build=1

say() { echo "image-check: $*"; }
die() { echo "image-check: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get, and starting ragd as the image's uid)"

# ---- 1. parse the Dockerfile ---------------------------------------------------------
# Emits shell assignments (quoted with shlex), so nothing below repeats a list.
parsed=$(/usr/bin/python3 - "$dockerfile" <<'PY'
import json, re, shlex, sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
instructions = []          # (keyword, text, preceding comment block)
comments, i = [], 0
while i < len(lines):
    line = lines[i].strip()
    i += 1
    if not line:
        comments = []
        continue
    if line.startswith("#"):
        comments.append(line)
        continue
    text = line
    while text.endswith("\\") and i < len(lines):
        text = text[:-1]
        nxt = lines[i].strip()
        i += 1
        if nxt.startswith("#"):   # Docker drops comment lines inside continuations
            text += " "
            nxt = "\\"
        text += " " + nxt if nxt != "\\" else "\\"
    text = text.rstrip("\\").strip()
    keyword, _, rest = text.partition(" ")
    instructions.append((keyword.upper(), rest.strip(), comments))
    comments = []

stages, current = [], None
for keyword, rest, block in instructions:
    if keyword == "FROM":
        m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", rest, re.I)
        current = {"image": m.group(1), "name": m.group(2) or "", "ins": []}
        stages.append(current)
    elif current is not None:
        current["ins"].append((keyword, rest, block))

def fail(message):
    print(f"echo 'image-check: FAIL: Dockerfile: {message}' >&2; exit 1")
    sys.exit(0)

def marked_packages(stage, marker):
    for keyword, rest, block in stage["ins"]:
        if keyword == "RUN" and any(marker in c for c in block):
            for part in rest.split("&&"):
                words = shlex.split(part)
                if "apt-get" in words and "install" in words:
                    after = words[words.index("install") + 1:]
                    return [w for w in after if not w.startswith("-")]
    fail(f"no RUN apt-get install after a '# {marker}' comment in stage {stage['name']}")

build = next((s for s in stages if s["name"] == "build"), None)
runtime = stages[-1] if stages else None   # the default target
if build is None or runtime is None or runtime["name"] != "runtime":
    fail("expected a stage 'build' and 'runtime' as the last (default) stage")

out = {}
copies = []
for stage in stages:
    for keyword, rest, _ in stage["ins"]:
        if keyword == "COPY" and not rest.startswith("--"):
            words = shlex.split(rest)
            for src in words[:-1]:
                copies.append(f"{stage['name'] or '-'} {src} {words[-1] if len(words) == 2 else words[-1].rstrip('/') + '/' + src}")
out["COPIES"] = "\n".join(copies)
out["BUILD_IMAGE"] = build["image"]
out["RUNTIME_IMAGE"] = runtime["image"]
out["BUILD_PACKAGES"] = " ".join(marked_packages(build, "image-check: build packages"))
out["RUNTIME_PACKAGES"] = " ".join(marked_packages(runtime, "image-check: runtime packages"))

swift_build = None
for keyword, rest, _ in build["ins"]:
    if keyword == "RUN" and "swift build" in rest:
        swift_build = shlex.split(rest.split("&&")[0])
        break
if not swift_build or swift_build[:2] != ["swift", "build"]:
    fail("no RUN swift build in the build stage")
out["SWIFT_BUILD_ARGS"] = " ".join(shlex.quote(w) for w in swift_build[2:])

env, user, health, entry, cmd = {}, None, None, None, None
for keyword, rest, _ in runtime["ins"]:
    if keyword == "ENV":
        for word in shlex.split(rest):
            key, _, value = word.partition("=")
            env[key] = value
    elif keyword == "USER":
        user = rest
    elif keyword == "HEALTHCHECK":
        m = re.search(r"\bCMD\s+(\[.*\])\s*$", rest)
        if not m:
            fail("HEALTHCHECK must use the JSON (exec) form of CMD")
        health = json.loads(m.group(1))
    elif keyword == "ENTRYPOINT":
        entry = json.loads(rest) if rest.startswith("[") else fail("ENTRYPOINT must be JSON (exec) form")
    elif keyword == "CMD":
        cmd = json.loads(rest) if rest.startswith("[") else fail("CMD must be JSON (exec) form")
if not user or not re.fullmatch(r"\d+(:\d+)?", user) or user.split(":")[0] == "0":
    fail(f"runtime USER must be a numeric non-root uid[:gid], not {user!r}")
if health is None or entry is None or cmd is None:
    fail("runtime stage needs HEALTHCHECK, ENTRYPOINT and CMD")
if any("curl" in w for w in health):
    fail("HEALTHCHECK must not use curl (ragd has no HTTP port)")
uid, _, gid = user.partition(":")
out["RUN_UID"] = uid
out["RUN_GID"] = gid or uid
out["RUN_ENV"] = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
out["FCGI_LISTEN_IMAGE"] = env.get("FCGI_LISTEN", "")
out["ENTRYPOINT"] = " ".join(shlex.quote(w) for w in entry)
out["CMD"] = " ".join(shlex.quote(w) for w in cmd)
out["HEALTH_CMD"] = " ".join(shlex.quote(w) for w in health)
for key, value in out.items():
    print(f"{key}={shlex.quote(value)}")
PY
)
eval "$parsed"
eval "swift_build_args=($SWIFT_BUILD_ARGS)"
eval "entrypoint=($ENTRYPOINT)"
eval "cmd=($CMD)"
eval "health_cmd=($HEALTH_CMD)"
eval "run_env=($RUN_ENV)"
say "build stage $BUILD_IMAGE: packages $BUILD_PACKAGES"
say "build command: swift build ${swift_build_args[*]}"
say "runtime stage $RUNTIME_IMAGE: packages $RUNTIME_PACKAGES; USER $RUN_UID:$RUN_GID"
for flag in -c release --static-swift-stdlib --product ragd; do
    [[ " ${swift_build_args[*]} " == *" $flag "* ]] || die "the Dockerfile's swift build lacks '$flag'"
done
[ -n "$FCGI_LISTEN_IMAGE" ] || die "the runtime stage sets no FCGI_LISTEN"

# ---- 2. build as the build stage does ------------------------------------------------
apt_lists_ready() { apt-cache show libc6 >/dev/null 2>&1; }
apt_lists_ready || apt-get update -q >/dev/null
missing=()
for p in $BUILD_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing build packages ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in $RUNTIME_PACKAGES; do
    apt-cache show "$p" >/dev/null 2>&1 || die "runtime package '$p' does not exist in Debian 12"
done

# The build context: the tracked files that .dockerignore lets through. Every COPY
# source of every stage must be in it, and the build stage's COPYs alone must form a
# loadable package (SwiftPM checks every target's directory, Tests/ included).
context=$(mktemp -d /tmp/ragd-image-context.XXXXXX)
if ! (cd "$repo" && git ls-files -z | /usr/bin/python3 -c '
import fnmatch, os, re, shutil, sys
dest = sys.argv[1]
rules = []
for line in open(".dockerignore"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    neg = line.startswith("!")
    rules.append((neg, line.lstrip("!").rstrip("/")))
def matches(pattern, path):
    # a pattern matches the path or any of its parent directories; **/ is any depth
    parts = path.split("/")
    for n in range(1, len(parts) + 1):
        sub = "/".join(parts[:n])
        if fnmatch.fnmatchcase(sub, pattern) or (pattern.startswith("**/") and
                any(fnmatch.fnmatchcase("/".join(parts[k:n]), pattern[3:]) for k in range(n))):
            return True
    return False
kept = 0
for path in sys.stdin.read().split("\0"):
    if not path or not os.path.isfile(path):
        continue
    excluded = False
    for neg, pattern in rules:
        if matches(pattern, path):
            excluded = not neg
    if not excluded:
        os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
        shutil.copy2(path, os.path.join(dest, path))
        kept += 1
print(kept)
' "$context" >"$context.count"); then
    rm -rf "$context" "$context.count"; die "could not assemble the build context"
fi
say "build context (git files through .dockerignore): $(cat "$context.count") files"
rm -f "$context.count"
layer=$(mktemp -d /tmp/ragd-image-layer.XXXXXX)
while read -r stage src dst; do
    [ -n "$stage" ] || continue
    [ -e "$context/$src" ] || { rm -rf "$context" "$layer"; die "COPY $src (stage $stage) is not in the build context (.dockerignore?)"; }
    if [ "$stage" = build ]; then
        mkdir -p "$(dirname "$layer/${dst#./}")"
        cp -r "$context/$src" "$layer/${dst#./}"
    fi
done <<<"$COPIES"
if ! (cd "$layer" && swift package describe --type json >/dev/null 2>"$layer/.describe.err"); then
    cat "$layer/.describe.err" >&2
    rm -rf "$context" "$layer"
    die "the build stage's COPYs do not form a loadable package"
fi
rm -rf "$context" "$layer"
say "every COPY source is in the build context; the build stage's files form a loadable package"

if [ $skip_build = 0 ] || [ ! -x "$scratch/release/ragd" ]; then
    # The dependency layer: Package.swift alone must resolve (COPY Package.swift; RUN
    # swift package resolve), so it stays cacheable apart from the sources.
    layer=$(mktemp -d /tmp/ragd-image-resolve.XXXXXX)
    cp "$repo/Package.swift" "$layer/"
    if ! (cd "$layer" && swift package resolve >"$layer/resolve.log" 2>&1); then
        tail -n 20 "$layer/resolve.log" >&2
        rm -rf "$layer"
        die "swift package resolve with only Package.swift failed"
    fi
    rm -rf "$layer"
    say "dependency layer: Package.swift alone resolves"
    say "building: swift build ${swift_build_args[*]} --scratch-path .build-image"
    (cd "$repo" && swift build "${swift_build_args[@]}" --scratch-path "$scratch")
fi
bin=$(cd "$repo" && swift build "${swift_build_args[@]}" --scratch-path "$scratch" --show-bin-path)/ragd
[ -x "$bin" ] || die "no binary at $bin"

# ---- 3. shared libraries vs the runtime stage's packages -----------------------------
# What debian:bookworm-slim is guaranteed to have: the Essential packages and their
# dependencies (libc6, libgcc-s1, zlib1g). The slim image carries more (apt and what apt
# needs, libstdc++6 among them), but only by accident of apt's own needs, so a library
# the binary links directly must come from that guaranteed set or be named in the
# runtime stage; indirect ones may arrive as dependencies of the named packages.
closure_of() {
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^[ <]' | sed 's/:amd64$//' | sort -u
}
essential=$(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}' | tr '\n' ' ')
# shellcheck disable=SC2086
guaranteed=$(closure_of $essential)
# shellcheck disable=SC2086
provided=$(closure_of $RUNTIME_PACKAGES $essential)
grep -qxF libc6 <<<"$guaranteed" || die "could not compute the base image's packages (apt-cache depends)"

ldd_out=$(ldd "$bin")
if grep -q 'not found' <<<"$ldd_out"; then
    echo "$ldd_out" >&2
    die "ldd: unresolved libraries"
fi
pkg_of() { # pkg_of PATH: the Debian package that ships the library
    local path=$1 hit
    hit=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || true)
    [ -n "$hit" ] || hit=$(dpkg -S "/usr$path" 2>/dev/null || true)
    [ -n "$hit" ] || return 1
    echo "${hit%%:*}" | head -n 1
}
direct=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
problems=0
declare -A seen=()
while read -r soname _ path _; do
    [[ "$path" == /* ]] || continue
    pkg=$(pkg_of "$path") || { echo "  $soname ($path): no Debian package owns it" >&2; problems=$((problems + 1)); continue; }
    seen[$pkg]=1
    if grep -qxF -- "$soname" <<<"$direct"; then
        if [[ " $RUNTIME_PACKAGES " != *" $pkg "* ]] && ! grep -qxF -- "$pkg" <<<"$guaranteed"; then
            echo "  $soname (linked directly) comes from $pkg, which the runtime stage does not install" >&2
            problems=$((problems + 1))
        fi
    elif ! grep -qxF -- "$pkg" <<<"$provided"; then
        echo "  $soname comes from $pkg, which no runtime package pulls in" >&2
        problems=$((problems + 1))
    fi
done < <(awk '/=>/ {print $1, $2, $3}' <<<"$ldd_out")
[ $problems = 0 ] || die "$problems shared librar(y/ies) not provided by the runtime stage"
swift_runtime=$(grep -c 'libswift\|libFoundation\|libdispatch' <<<"$ldd_out" || true)
[ "$swift_runtime" = 0 ] || die "the binary links a shared Swift runtime library (expected --static-swift-stdlib)"
say "ldd: $(wc -l <<<"$direct") direct and $(grep -c '=>' <<<"$ldd_out") total libraries, from ${#seen[@]} packages, all provided by the runtime stage"
for p in $RUNTIME_PACKAGES; do
    case $p in ca-certificates|tzdata|poppler-utils|unzip) continue ;; esac  # data, or tools (below)
    [ -n "${seen[$p]:-}" ] || say "note: runtime package $p provides no library the binary loads"
done
# The PDF and Word readers run these programs (RagdExtract): each must come from a
# package the runtime stage installs or the base image is guaranteed to have.
for tool in /usr/bin/prlimit /usr/bin/pdfinfo /usr/bin/pdftotext /usr/bin/unzip; do
    pkg=$(pkg_of "$tool") || die "$tool: no installed Debian package ships it (scripts/stack.sh install)"
    grep -qxF -- "$pkg" <<<"$provided" || die "$tool comes from $pkg, which the runtime stage does not install"
done
say "document readers: prlimit, pdfinfo, pdftotext and unzip are provided by the runtime stage"

# ---- 4. run it as the image would ----------------------------------------------------
work=$(mktemp -d /tmp/ragd-image-check.XXXXXX)
chmod 0755 "$work"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

root=$work/root
image_bin=${entrypoint[0]}
install -D -m 0755 "$bin" "$root$image_bin"
# The runtime stage's socket directory: owned by the user, 0750.
socket=$root$FCGI_LISTEN_IMAGE
install -d -m 0755 "$root/run"
install -d -o "$RUN_UID" -g "$RUN_GID" -m 0750 "$(dirname "$socket")"

# The image's ENV, with FCGI_LISTEN moved under the temp root, and the settings a
# deployment must supply (SECRET_KEY, DATABASE_URL, REDIS_URL); nothing needs to answer
# on those URLs for /health.
container_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent)
for kv in "${run_env[@]}"; do
    case $kv in FCGI_LISTEN=*) kv=FCGI_LISTEN=$socket ;; esac
    container_env+=("$kv")
done
container_env+=(ENV_FILE= "SECRET_KEY=$(openssl rand -hex 32)"
    DATABASE_URL=postgres://ragd:unused@127.0.0.1:1/ragdb REDIS_URL=redis://127.0.0.1:1/0 WORKERS=2 THREADS=2)
as_image_user() {
    (cd / && exec env -i "${container_env[@]}" setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups -- "$@")
}
# Paths in the Dockerfile's commands point into the image; map them to the temp root.
in_root() { local w out=(); for w in "$@"; do [ "$w" = "$image_bin" ] && w=$root$w; out+=("$w"); done; printf '%s\n' "${out[@]}"; }
mapfile -t serve_cmd < <(in_root "${entrypoint[@]}" "${cmd[@]}")
mapfile -t probe_cmd < <(in_root "${health_cmd[@]}")

version=$(as_image_user "$root$image_bin" --version) || die "ragd --version failed as uid $RUN_UID"
say "ragd --version: $version"

# One subshell that execs, so $! is ragd's master itself (TERM must reach it, not a shell).
(cd / && exec env -i "${container_env[@]}" setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups -- \
    "${serve_cmd[@]}" >"$work/ragd.log" 2>&1) &
pid=$!
deadline=$((SECONDS + 30))
until [ -S "$socket" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/ragd.log" >&2; die "ragd exited before creating its socket"; }
    [ $SECONDS -lt $deadline ] || { cat "$work/ragd.log" >&2; die "no socket at $socket after 30 s"; }
    sleep 0.1
done
owner=$(stat -c '%u:%g %a' "$socket")
[ "$owner" = "$RUN_UID:$RUN_GID 660" ] || die "socket is $owner, expected $RUN_UID:$RUN_GID 660"
say "ragd serve runs as uid $RUN_UID (pid $pid); socket $RUN_UID:$RUN_GID mode 660"

# The HEALTHCHECK, as Docker would run it: same user, same environment. The workers may
# still be booting when the socket appears, so allow a few seconds.
deadline=$((SECONDS + 20))
until as_image_user "${probe_cmd[@]}" 2>"$work/probe.err"; do
    [ $SECONDS -lt $deadline ] || { cat "$work/probe.err" "$work/ragd.log" >&2; die "HEALTHCHECK (${health_cmd[*]}) did not pass"; }
    sleep 0.2
done
say "HEALTHCHECK passes: ${health_cmd[*]}"
if as_image_user "$root$image_bin" probe --path /no-such-path 2>/dev/null; then
    die "a probe of a missing path passed: the probe cannot fail"
fi
say "a probe of /no-such-path fails, as it must"

kill -TERM "$pid"
deadline=$((SECONDS + 45))
while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "ragd still running 45 s after TERM"
    sleep 0.1
done
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || { cat "$work/ragd.log" >&2; die "ragd exited with $status after TERM, expected 0"; }
[ ! -e "$socket" ] || die "the socket is still there after a graceful stop"
say "TERM: graceful stop, exit 0, socket removed"
say "ok"
echo "$bin"
