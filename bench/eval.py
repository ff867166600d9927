#!/usr/bin/env python3
"""Retrieval quality of ragd's /v1/search against a BM25 anchor, on a known corpus.

    python3 -m pip install -r bench/requirements-eval.txt
    scripts/stack.sh up                      # the local stack: HTTPS on 127.0.0.1:8443
    python3 bench/eval.py --corpus en --limit-docs 30          # a quick look
    python3 bench/eval.py --corpus en --out bench/eval/results/baseline-en.json
    python3 bench/eval.py --corpus zh --out bench/eval/results/baseline-zh.json

Options: --tenant NAME (default eval-<corpus>, or eval-<corpus>-first<N> with
--limit-docs N), --top-k 10, --concurrency 4, --modes hybrid,vector,keyword,
--no-legs, --skip-ingest (use what the tenant already holds), --async (ingest as background
jobs: slow embedders such as the e5 profile never hold a request), --no-prune, --verbose
(per-question misses), --url (default https://127.0.0.1:$RAGD_STACK_HTTPS_PORT or 8443),
--token (or $RAGD_TOKEN; else minted with `ENV_FILE=.stack/ragd.env ragd token`),
--corpus-file JSONL / --questions JSONL (instead of bench/eval/corpora.py and
bench/eval/questions-<corpus>.jsonl).

What one run does:
1. Builds the corpus (`bench/eval/corpora.py`: build_corpus(name) -> [{id, title, html,
   url_path}]) and ingests every page through `POST /v1/documents` as raw text/html
   (`?title=&source=<corpus id>`) with --concurrency clients; prints documents/s and
   chunks/s (identical content answers 200 duplicate, counted apart, so re-running on the
   same tenant is cheap). Documents of the tenant that are not in this corpus (an older
   corpus build) are deleted unless --no-prune, so ragd and the anchor search the same set.
2. Reads every chunk of every document back (`GET /v1/documents/{id}/chunks`): the anchor
   indexes exactly what ragd indexed.
3. BM25 anchor over those chunks (`rank_bm25.BM25Okapi`, defaults; tokenizer: NFKC,
   lower case, Unicode word runs, Snowball English stems, CJK character bigrams; see
   bench/eval_metrics.py).
4. Asks every question (bench/eval/questions-<corpus>.jsonl: {id, question, answers:
   [corpus ids], note}) in each --modes through `POST /v1/search` (top_k = --top-k), and
   the anchor. With --limit-docs, only questions with an answer among the ingested
   documents count (answers outside them are dropped).
5. Metrics on the ranked chunks mapped to documents (a position is relevant when its
   chunk's document is an answer): hit@1, hit@5, MRR@5, nDCG@10 (binary, first chunk of
   each answer document gains); a table per mode and the anchor, and each mode's ratio to
   the anchor.
6. Fusion tuning (--legs, on by default): `mode=vector` and `mode=keyword` with top_k=50
   per question, saved; weighted reciprocal rank fusion replayed offline over a grid of
   k, w_keyword/w_vector and depth; the best settings by MRR@5 (ties by hit@5), k=60 1/1
   depth 20, and the server's own settings (SEARCH_* in the env file, else ragd's
   defaults, or --server-fusion) are printed; the last must reproduce the served hybrid
   lists exactly, which the run checks and prints. The offline fusion is an approximation of the server's, which
   fuses and then drops rows that are not ready (exact when every document is ready).
7. Writes settings, versions, machine, ingest timings, metrics, per-question ranks and
   the leg lists to --out (JSON; default bench/eval/results/<tenant>-<UTC time>.json).

The API's rate limit (RATE_LIMIT_PER_MINUTE, default 100 per caller per minute) is
honoured: a 429 pauses every client for its Retry-After. A full run makes about
2 x documents + 5 x questions requests, so at the default limit it mostly waits; the
stack's ragd can get a higher limit from a line `RATE_LIMIT_PER_MINUTE=100000` in
.stack/ragd.env.local (scripts/stack.sh appends that file to ragd.env). Connection errors, timeouts and
502/503/504 (ragd restarting) are retried with backoff.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_metrics import (  # noqa: E402
    GRID_DEPTH,
    GRID_K,
    GRID_KEYWORD_OVER_VECTOR,
    METRIC_NAMES,
    BM25Anchor,
    evaluate_fusion,
    first_relevant_rank,
    fusion_grid,
    question_metrics,
    simulate_fusion,
    summarize,
)

REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO / "bench" / "eval"
RESULTS_DIR = EVAL_DIR / "results"
SCOPES = "documents:read documents:write query"
MAX_TITLE = 512
LEG_TOP_K = 50
# The server's fusion (Sources/RagdPipeline/Retriever.swift): weighted RRF of the two
# legs, each max(SEARCH_CANDIDATES, top_k) deep; these are ragd's defaults for the
# SEARCH_* settings, overridden by the env file's values and then by --server-fusion.
SERVER_FUSION_DEFAULTS = {"SEARCH_RRF_K": 5.0, "SEARCH_VECTOR_WEIGHT": 1.0, "SEARCH_KEYWORD_WEIGHT": 3.0,
                          "SEARCH_CANDIDATES": 30}
# The document-level legs of the server's hybrid search (not replayed offline).
DOCUMENT_LEG_DEFAULTS = {"SEARCH_TITLE_WEIGHT": 1.5, "SEARCH_SECTION_WEIGHT": 0.5}
# ragd.env keys worth recording with the results (never the secrets).
RECORDED_SETTINGS = ("EMBEDDING_PROVIDER", "EMBEDDING_MODEL", "EMBEDDING_DIMENSION", "EMBEDDING_QUERY_PREFIX",
                     "EMBEDDING_DOCUMENT_PREFIX", "CHUNK_SIZE", "CHUNK_OVERLAP", "RATE_LIMIT_PER_MINUTE", "WORKERS",
                     "THREADS", "MILVUS_COLLECTION", "ENVIRONMENT", *SERVER_FUSION_DEFAULTS, *DOCUMENT_LEG_DEFAULTS)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def recorded_settings(env_file: Path) -> dict[str, str]:
    """The RECORDED_SETTINGS lines of ragd's env file (nothing else is kept)."""
    settings = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in RECORDED_SETTINGS:
                settings[key.strip()] = value.strip()
    return settings


def sample_corpus(corpus: list[dict], questions: list[dict], size: int, seed: int = 20261202) -> list[dict]:
    """Every document some question answers from, then others drawn at random (seeded, so
    each run draws the same) until `size` documents; corpus order is kept."""
    answers = {a for q in questions for a in q["answers"]}
    others = [d["id"] for d in corpus if d["id"] not in answers]
    drawn = set(random.Random(seed).sample(others, max(0, min(len(others), size - len(answers)))))
    return [d for d in corpus if d["id"] in answers or d["id"] in drawn]


def server_fusion(env_file: Path, override: str | None, top_k: int) -> dict:
    """{k, w_vector, w_keyword, depth} of the server's hybrid search at this top_k."""
    values = dict(SERVER_FUSION_DEFAULTS)
    for key, value in recorded_settings(env_file).items():
        if key in values:
            values[key] = float(value)
    fusion = {"k": values["SEARCH_RRF_K"], "w_vector": values["SEARCH_VECTOR_WEIGHT"],
              "w_keyword": values["SEARCH_KEYWORD_WEIGHT"], "depth": max(int(values["SEARCH_CANDIDATES"]), top_k)}
    if override:
        for part in override.split(","):
            key, _, value = part.partition("=")
            if key.strip() not in fusion:
                sys.exit(f"eval: --server-fusion: unknown key {key!r} (k, w_vector, w_keyword, depth)")
            fusion[key.strip()] = int(value) if key.strip() == "depth" else float(value)
    return fusion


# ---- HTTP ----------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, body: str, what: str):
        super().__init__(f"{what}: HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


class RagdClient:
    """Thread-safe client for ragd's /v1 API through nginx.

    A 429 pauses every thread of this client until its Retry-After has passed; connection
    errors, timeouts and 502/503/504 are retried with exponential backoff (ragd may be
    restarted during a run)."""

    def __init__(self, base_url: str, token: str, verify: bool | str = False, retries: int = 10):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.verify = verify
        self.retries = retries
        self.local = threading.local()
        self.lock = threading.Lock()
        self.resume_at = 0.0
        self.stats = {"requests": 0, "rate_limited": 0, "rate_limited_wait_s": 0.0, "retried": 0, "errors": {}}

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
            session.verify = self.verify
            self.local.session = session
        return self.local.session

    def count(self, key: str, amount: float = 1) -> None:
        with self.lock:
            self.stats[key] += amount

    def count_error(self, kind: str) -> None:
        with self.lock:
            self.stats["errors"][kind] = self.stats["errors"].get(kind, 0) + 1

    def wait_for_rate_limit(self) -> None:
        while True:
            with self.lock:
                delay = self.resume_at - time.monotonic()
            if delay <= 0:
                return
            time.sleep(min(delay, 5))

    def pause_all(self, seconds: float) -> None:
        with self.lock:
            self.resume_at = max(self.resume_at, time.monotonic() + seconds)
            self.stats["rate_limited"] += 1
            self.stats["rate_limited_wait_s"] += seconds

    def call(self, method: str, path: str, *, expect=(200,), timeout: float = 60, **kwargs) -> requests.Response:
        """One request, retried as described above; raises ApiError on any other status."""
        what = f"{method} {path}"
        failures = 0
        rate_limited = 0
        while True:
            self.wait_for_rate_limit()
            self.count("requests")
            try:
                # verify per request: a session's verify loses to $REQUESTS_CA_BUNDLE.
                response = self.session().request(method, self.base_url + path, timeout=timeout,
                                                  verify=self.verify, **kwargs)
            except requests.exceptions.SSLError:
                raise  # a certificate problem does not go away by waiting
            except (requests.ConnectionError, requests.Timeout) as error:
                failures += 1
                self.count_error(type(error).__name__)
                if failures > self.retries:
                    raise
                self.backoff(failures, f"{what}: {type(error).__name__}")
                continue
            if response.status_code in expect:
                return response
            if response.status_code == 429:
                rate_limited += 1
                if rate_limited > 500:
                    raise ApiError(429, response.text, what)
                retry_after = response.headers.get("Retry-After", "1")
                seconds = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 1.0
                self.pause_all(seconds + random.uniform(0, 0.5))
                continue
            if response.status_code in (502, 503, 504):
                failures += 1
                self.count_error(f"HTTP {response.status_code}")
                if failures > self.retries:
                    raise ApiError(response.status_code, response.text, what)
                self.backoff(failures, f"{what}: HTTP {response.status_code}")
                continue
            self.count_error(f"HTTP {response.status_code}")
            raise ApiError(response.status_code, response.text, what)

    def backoff(self, failures: int, why: str) -> None:
        self.count("retried")
        delay = min(2 ** (failures - 1), 30) + random.uniform(0, 0.5)
        log(f"  retry in {delay:.1f} s ({why})")
        time.sleep(delay)

    # The API calls this harness makes.

    def ingest_html(self, title: str, source: str, html: str, background: bool = False) -> tuple[int, dict]:
        params = {"title": title, "source": source}
        if background:
            params["async"] = "true"
        response = self.call("POST", "/v1/documents", expect=(200, 201, 202), timeout=600,
                             params=params, data=html.encode("utf-8"),
                             headers={"Content-Type": "text/html; charset=utf-8"})
        if response.status_code != 202:
            return response.status_code, response.json()
        # A background job (a slow embedder: no request waits past nginx's timeout): its
        # state is polled once a second until the server says it ended.
        job = response.json()
        while job["state"] not in ("succeeded", "failed"):
            time.sleep(1)
            job = self.call("GET", f"/v1/jobs/{job['id']}").json()
        if job["state"] == "failed":
            raise ApiError(422, job.get("error") or "the job failed", f"job {job['id']}")
        return (200 if job["duplicate"] else 201), {"id": job["document_id"], "chunks": job["progress"]["chunks_total"],
                                                    "duplicate": job["duplicate"], "timings": {}}

    def chunks(self, document_id: str) -> list[dict]:
        rows: list[dict] = []
        offset = 0
        while True:
            page = self.call("GET", f"/v1/documents/{document_id}/chunks",
                             params={"limit": 1000, "offset": offset}).json()
            rows.extend(page["data"])
            if page.get("next_offset") is None:
                return rows
            offset = page["next_offset"]

    def list_documents(self) -> list[dict]:
        documents: list[dict] = []
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.call("GET", "/v1/documents", params=params).json()
            documents.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return documents

    def delete_document(self, document_id: str) -> None:
        self.call("DELETE", f"/v1/documents/{document_id}", expect=(204, 404))

    def search(self, query: str, top_k: int, mode: str) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.call("POST", "/v1/search", json={"query": query, "top_k": top_k, "mode": mode})
        return response.json(), time.perf_counter() - started

    def health(self) -> dict | None:
        try:
            response = self.session().get(self.base_url + "/health", timeout=10, verify=self.verify)
            return response.json() if response.ok else {"status_code": response.status_code}
        except (requests.RequestException, ValueError) as error:
            return {"error": str(error)}


def parallel(function, items, concurrency: int, label: str):
    """function(item) for every item on `concurrency` threads; results in item order;
    prints progress about every 10 %."""
    items = list(items)
    results = [None] * len(items)
    step = max(1, len(items) // 10)
    done = 0
    started = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency)
    try:
        futures = {pool.submit(function, item): index for index, item in enumerate(items)}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
            done += 1
            if done % step == 0 or done == len(items):
                log(f"  {label}: {done}/{len(items)} ({time.monotonic() - started:.0f} s)")
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # one failure ends the step, not after every item
        raise
    pool.shutdown()
    return results


# ---- corpus, token, questions ----------------------------------------------------------


def load_corpus(name: str, corpus_file: str | None) -> list[dict]:
    if corpus_file:
        with open(corpus_file, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    path = EVAL_DIR / "corpora.py"
    if not path.exists():
        sys.exit(f"eval: {path} does not exist (or pass --corpus-file)")
    spec = importlib.util.spec_from_file_location("corpora", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpora"] = module
    spec.loader.exec_module(module)
    return list(module.build_corpus(name))


def load_questions(name: str, questions_file: str | None) -> list[dict]:
    path = Path(questions_file) if questions_file else EVAL_DIR / f"questions-{name}.jsonl"
    if not path.exists():
        sys.exit(f"eval: {path} does not exist (or pass --questions)")
    with open(path, encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle if line.strip()]
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        sys.exit(f"eval: {path}: question ids are not unique")
    return questions


def ragd_binary(explicit: str | None) -> Path:
    candidates = [Path(explicit)] if explicit else [REPO / ".build" / "debug" / "ragd", REPO / ".build" / "release" / "ragd"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    sys.exit(f"eval: no ragd binary ({', '.join(map(str, candidates))}); pass --token or --ragd-bin")


def mint_token(tenant: str, binary: Path, env_file: Path) -> str:
    env = dict(os.environ, ENV_FILE=str(env_file))
    completed = subprocess.run([str(binary), "token", "--tenant", tenant, "--scope", SCOPES, "--ttl", "86400"],
                               env=env, capture_output=True, text=True, timeout=60)
    if completed.returncode != 0:
        sys.exit(f"eval: ragd token failed: {completed.stderr.strip()}")
    return completed.stdout.strip()


# ---- step 1: ingest ------------------------------------------------------------------


def ingest_corpus(client: RagdClient, documents: list[dict], concurrency: int, background: bool = False) -> dict:
    """POST every document (as background jobs with `background`); returns the
    per-document outcomes and the throughput."""

    def ingest_one(doc: dict) -> dict:
        started = time.perf_counter()
        outcome = {"corpus_id": doc["id"]}
        try:
            status, body = client.ingest_html(doc["title"][:MAX_TITLE] or doc["id"], doc["id"], doc["html"], background)
        except ApiError as error:
            outcome.update(status=error.status, error=error.body[:500])
        else:
            outcome.update(status=status, ragd_id=body["id"], chunks=body.get("chunks", 0),
                           duplicate=bool(body.get("duplicate")), server_timings=body.get("timings", {}))
        outcome["seconds"] = round(time.perf_counter() - started, 4)
        return outcome

    started = time.monotonic()
    outcomes = parallel(ingest_one, documents, concurrency, "ingest")
    wall = time.monotonic() - started
    new = [o for o in outcomes if o.get("ragd_id") and not o["duplicate"]]
    duplicates = [o for o in outcomes if o.get("ragd_id") and o["duplicate"]]
    failed = [o for o in outcomes if not o.get("ragd_id")]
    new_chunks = sum(o["chunks"] for o in new)
    stages: dict[str, float] = {}
    for outcome in new:
        for stage, ms in outcome["server_timings"].items():
            stages[stage] = stages.get(stage, 0.0) + float(ms)
    return {
        "documents": len(documents), "new": len(new), "duplicates": len(duplicates), "failed": len(failed),
        "new_chunks": new_chunks, "seconds": round(wall, 3),
        "documents_per_second": round(len(documents) / wall, 3) if wall else None,
        "new_documents_per_second": round(len(new) / wall, 3) if wall else None,
        "new_chunks_per_second": round(new_chunks / wall, 2) if wall else None,
        "new_document_latency_s": latency_summary([o["seconds"] for o in new]),
        "duplicate_latency_s": latency_summary([o["seconds"] for o in duplicates]),
        "server_stage_ms_total_new": {k: round(v, 1) for k, v in stages.items()},
        "per_document": outcomes,
    }


def print_ingest(report: dict, rate_limited: int) -> None:
    print(f"\nIngest: {report['documents']} documents in {report['seconds']:.1f} s "
          f"({report['documents_per_second']} documents/s): {report['new']} new "
          f"({report['new_chunks']} chunks; {report['new_documents_per_second']} new documents/s, "
          f"{report['new_chunks_per_second']} chunks/s), {report['duplicates']} duplicates, "
          f"{report['failed']} failed")
    if report["new_document_latency_s"]:
        lat = report["new_document_latency_s"]
        print(f"  new document latency p50 {lat['p50']:.3f} s, p95 {lat['p95']:.3f} s; "
              f"server stages (sum over new, ms): {report['server_stage_ms_total_new']}")
    if rate_limited:
        print(f"  (rate limited {rate_limited} times during ingest: the throughput includes those waits)")
    for outcome in report["per_document"]:
        if not outcome.get("ragd_id"):
            print(f"  failed: {outcome['corpus_id']}: HTTP {outcome['status']}: {outcome['error'][:160]}")


def latency_summary(values: list[float]) -> dict | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"n": len(values), "p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "mean": statistics.fmean(ordered), "max": ordered[-1]}


def documents_of_tenant(client: RagdClient) -> list[dict]:
    return client.list_documents()


def prune_foreign_documents(client: RagdClient, keep_ids: set[str], tenant_documents: list[dict], concurrency: int,
                            prune: bool) -> list[str]:
    """Deletes (or only reports with prune=False) the tenant's documents that are not
    part of this corpus: they would be searched by ragd but unknown to the anchor."""
    foreign = [d["id"] for d in tenant_documents if d["id"] not in keep_ids]
    if foreign and prune:
        log(f"  deleting {len(foreign)} documents of the tenant that are not in this corpus")
        parallel(client.delete_document, foreign, concurrency, "prune")
    elif foreign:
        log(f"  warning: the tenant holds {len(foreign)} documents outside this corpus (--no-prune): "
            "ragd searches them, the anchor does not")
    return foreign


# ---- step 2: chunks ------------------------------------------------------------------


def fetch_all_chunks(client: RagdClient, ragd_ids: list[str], expected: dict[str, int], concurrency: int) -> list[dict]:
    pages = parallel(client.chunks, ragd_ids, concurrency, "chunks")
    chunks = []
    for ragd_id, rows in zip(ragd_ids, pages):
        if ragd_id in expected and expected[ragd_id] != len(rows):
            log(f"  warning: document {ragd_id} reports {expected[ragd_id]} chunks, {len(rows)} read")
        for row in sorted(rows, key=lambda r: r["ordinal"]):
            chunks.append({"id": row["id"], "document_id": ragd_id, "ordinal": row["ordinal"], "text": row["text"]})
    return chunks


# ---- step 4: questions -----------------------------------------------------------------


def run_searches(client: RagdClient, questions: list[dict], plan: list[tuple[str, int]], concurrency: int) -> dict:
    """plan: (mode, top_k) pairs; returns {(mode, top_k): [response per question]}."""
    tasks = [(q, mode, top_k) for (mode, top_k) in plan for q in questions]

    def ask(task):
        question, mode, top_k = task
        body, seconds = client.search(question["question"], top_k, mode)
        return {"results": body.get("results", []), "timings": body.get("timings", {}), "seconds": seconds}

    answers = parallel(ask, tasks, concurrency, "search")
    by_plan: dict[tuple[str, int], list[dict]] = {key: [] for key in plan}
    for (question, mode, top_k), answer in zip(tasks, answers):
        by_plan[(mode, top_k)].append(answer)
    return by_plan


def compact_hits(results: list[dict], primary_corpus_id) -> list[list]:
    """[chunk id, corpus id, score, vector rank, keyword rank] per hit."""
    return [[r["chunk_id"], primary_corpus_id(r["document_id"]), r.get("score"),
             (r.get("ranks") or {}).get("vector"), (r.get("ranks") or {}).get("keyword")] for r in results]


# ---- printing ------------------------------------------------------------------------


def print_table(title: str, rows: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(f"{'mode':<16} | {'found@5':>9} | {'hit@1':>6} | {'hit@5':>6} | {'MRR@5':>6} | {'nDCG@10':>7}")
    print("-" * 67)
    for name, m in rows.items():
        found = f"{m['found@5']}/{m['total']}"
        print(f"{name:<16} | {found:>9} | {m['hit@1']:>6.3f} | {m['hit@5']:>6.3f} | {m['MRR@5']:>6.3f} | {m['nDCG@10']:>7.3f}")


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# ---- the run -------------------------------------------------------------------------


def machine_info() -> dict:
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu_model": cpu_model, "memory_kib": memory_kib, "platform": platform.platform(),
            "python": platform.python_version(), "hostname": platform.node()}


def server_info(client: RagdClient, binary: Path | None, env_file: Path) -> dict:
    info: dict = {"health": client.health()}
    if binary:
        try:
            info["ragd_version"] = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                                                  timeout=30).stdout.strip()
        except OSError:
            pass
    try:
        info["git_commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                                            text=True, timeout=30).stdout.strip() or None
    except OSError:
        pass
    try:
        # Uncommitted changes under Sources/ mean the binary is not exactly git_commit.
        info["sources_modified"] = subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", "Sources",
                                                   "Package.swift"], timeout=30).returncode == 1
    except OSError:
        pass
    if binary:
        try:
            info["ragd_binary_mtime"] = datetime.datetime.fromtimestamp(
                binary.stat().st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")
        except OSError:
            pass
    info["settings_from_env_file"] = recorded_settings(env_file)  # absent keys: ragd's defaults
    return info


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, choices=["en", "zh"])
    parser.add_argument("--tenant", help="default eval-<corpus> (eval-<corpus>-first<N> with --limit-docs)")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--async", dest="background", action="store_true",
                        help="ingest as background jobs (?async=true), for slow embedders such as the e5 profile")
    parser.add_argument("--modes", default="hybrid,vector,keyword")
    parser.add_argument("--out", help="results JSON (default bench/eval/results/<tenant>-<time>.json)")
    parser.add_argument("--limit-docs", type=int, help="only the first N documents of the corpus")
    parser.add_argument("--sample-docs", type=int,
                        help="every answer document plus randomly drawn others (fixed seed) up to N documents: "
                             "for embedders too slow to ingest the whole corpus; the anchor sees the same sample")
    parser.add_argument("--skip-ingest", action="store_true", help="use the documents the tenant already holds")
    parser.add_argument("--legs", action=argparse.BooleanOptionalAction, default=True,
                        help="vector and keyword top 50 per question, and the fusion grid (default on)")
    parser.add_argument("--prune", action=argparse.BooleanOptionalAction, default=True,
                        help="delete the tenant's documents that are not in this corpus (default on)")
    parser.add_argument("--verbose", action="store_true", help="print the questions each mode misses")
    parser.add_argument("--url", default=f"https://127.0.0.1:{os.environ.get('RAGD_STACK_HTTPS_PORT', '8443')}")
    parser.add_argument("--ca", help="CA file to verify the server's certificate (default: not verified, self-signed)")
    parser.add_argument("--retries", type=int, default=10,
                        help="retries of a request after a connection error or 502/503/504 (backoff 1, 2, 4 ... 30 s)")
    parser.add_argument("--token", default=os.environ.get("RAGD_TOKEN"))
    parser.add_argument("--ragd-bin", help="the ragd binary that mints the token (default .build/debug/ragd)")
    parser.add_argument("--env-file", default=str(REPO / ".stack" / "ragd.env"))
    parser.add_argument("--server-fusion", help="the server's fusion if not what the env file says, e.g. "
                        "k=5,w_vector=1,w_keyword=2,depth=30 (compared with the served hybrid)")
    parser.add_argument("--corpus-file", help="JSONL of {id, title, html, url_path} instead of corpora.py")
    parser.add_argument("--questions", help="JSONL of questions instead of bench/eval/questions-<corpus>.jsonl")
    parser.add_argument("--dump-chunks", help="also write the chunks as ragd stored them, with their documents' titles "
                        "and corpus ids, as JSON (to try tokenizer or scoring variants offline)")
    args = parser.parse_args(argv)
    if not 1 <= args.top_k <= 50:
        parser.error("--top-k must be 1..50")
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in args.modes:
        if mode not in ("hybrid", "vector", "keyword"):
            parser.error(f"unknown mode {mode}")
    if not args.tenant:
        args.tenant = f"eval-{args.corpus}" + (f"-first{args.limit_docs}" if args.limit_docs else "") \
            + (f"-sample{args.sample_docs}" if args.sample_docs else "")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.ca:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    env_file = Path(args.env_file)
    binary = ragd_binary(args.ragd_bin) if not args.token else (Path(args.ragd_bin) if args.ragd_bin else None)
    token = args.token or mint_token(args.tenant, binary, env_file)
    client = RagdClient(args.url, token, verify=args.ca or False, retries=args.retries)
    run_started = datetime.datetime.now(datetime.timezone.utc)
    log(f"eval: corpus {args.corpus}, tenant {args.tenant}, {args.url}")

    questions = load_questions(args.corpus, args.questions)

    # 1. Corpus and ingest: corpus id <-> ragd document id.
    tenant_documents = None
    if args.skip_ingest:
        corpus = None
        tenant_documents = documents_of_tenant(client)
        ingest = {"skipped": True}
        ragd_to_corpus: dict[str, list[str]] = {}
        for doc in tenant_documents:
            ragd_to_corpus.setdefault(doc["id"], []).append(doc.get("source") or doc["id"])
        expected_chunks = {d["id"]: d["chunks"] for d in tenant_documents}
        foreign: list[str] = []
        log(f"eval: --skip-ingest: the tenant holds {len(tenant_documents)} documents")
    else:
        corpus = load_corpus(args.corpus, args.corpus_file)
        if args.limit_docs:
            corpus = corpus[: args.limit_docs]
        if args.sample_docs:
            corpus = sample_corpus(corpus, questions, args.sample_docs)
        log(f"eval: ingesting {len(corpus)} documents with {args.concurrency} clients")
        limited_before = client.stats["rate_limited"]
        ingest = ingest_corpus(client, corpus, args.concurrency, args.background)
        print_ingest(ingest, client.stats["rate_limited"] - limited_before)
        ragd_to_corpus = {}
        expected_chunks = {}
        for outcome in ingest["per_document"]:
            if outcome.get("ragd_id"):
                ragd_to_corpus.setdefault(outcome["ragd_id"], []).append(outcome["corpus_id"])
                expected_chunks[outcome["ragd_id"]] = outcome["chunks"]
        tenant_documents = documents_of_tenant(client)
        foreign = prune_foreign_documents(client, set(ragd_to_corpus), tenant_documents, args.concurrency, args.prune)
    corpus_to_ragd = {cid: rid for rid, cids in ragd_to_corpus.items() for cid in cids}

    def primary_corpus_id(ragd_id: str) -> str:
        ids = ragd_to_corpus.get(ragd_id)
        return ids[0] if ids else f"?{ragd_id}"

    # 2. Chunks, as ragd stored them.
    ragd_ids = list(ragd_to_corpus)
    chunks = fetch_all_chunks(client, ragd_ids, expected_chunks, args.concurrency)
    chunk_to_doc = {c["id"]: c["document_id"] for c in chunks}
    log(f"eval: {len(chunks)} chunks in {len(ragd_ids)} documents")
    if args.dump_chunks:
        titles = {d["id"]: d.get("title") for d in (tenant_documents or [])}
        Path(args.dump_chunks).write_text(json.dumps({
            "documents": {rid: {"corpus_ids": cids, "title": titles.get(rid)} for rid, cids in ragd_to_corpus.items()},
            "chunks": chunks}, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"eval: chunks written to {args.dump_chunks}")

    # Questions whose answers were ingested.
    known_corpus_ids = {d["id"] for d in corpus} if corpus is not None else set(corpus_to_ragd)
    evaluated, skipped, unknown_answers = [], [], []
    for q in questions:
        missing = [a for a in q["answers"] if a not in known_corpus_ids]
        if missing and not args.limit_docs:
            unknown_answers.append({"id": q["id"], "answers": missing})
        targets = {corpus_to_ragd[a] for a in q["answers"] if a in corpus_to_ragd}
        if targets:
            evaluated.append({**q, "targets": targets})
        else:
            skipped.append(q["id"])
    if unknown_answers:
        log(f"eval: warning: {len(unknown_answers)} questions name answers that are not in the corpus or failed to "
            f"ingest, e.g. {unknown_answers[:3]}")
    log(f"eval: {len(evaluated)} questions evaluated, {len(skipped)} skipped (no answer document ingested)")
    if not evaluated:
        sys.exit("eval: no question has an answer among the ingested documents")
    answer_sets = [q["targets"] for q in evaluated]

    # 3. Anchor.
    anchor_started = time.monotonic()
    anchor = BM25Anchor([c["id"] for c in chunks], [c["text"] for c in chunks])
    anchor_lists = [anchor.search(q["question"], args.top_k) for q in evaluated]
    anchor_seconds = time.monotonic() - anchor_started

    # 4. ragd's searches.
    plan = [(mode, args.top_k) for mode in args.modes]
    if args.legs:
        plan += [(leg, LEG_TOP_K) for leg in ("vector", "keyword") if (leg, LEG_TOP_K) not in plan]
    log(f"eval: {len(plan) * len(evaluated)} searches ({', '.join(f'{m}@{k}' for m, k in plan)})")
    search_started = time.monotonic()
    limited_before = client.stats["rate_limited"]
    answers_by_plan = run_searches(client, evaluated, plan, args.concurrency)
    search_seconds = time.monotonic() - search_started
    for answers in answers_by_plan.values():
        for answer in answers:
            for hit in answer["results"]:
                chunk_to_doc.setdefault(hit["chunk_id"], hit["document_id"])

    # 5. Metrics.
    ranked_docs: dict[str, list[list[str]]] = {}
    ranked_chunks: dict[str, list[list]] = {}
    for mode in args.modes:
        answers = answers_by_plan[(mode, args.top_k)]
        ranked_docs[mode] = [[r["document_id"] for r in a["results"]] for a in answers]
        ranked_chunks[mode] = [compact_hits(a["results"], primary_corpus_id) for a in answers]
    ranked_docs["bm25"] = [[chunk_to_doc[c] for c, _ in hits] for hits in anchor_lists]
    ranked_chunks["bm25"] = [[[c, primary_corpus_id(chunk_to_doc[c]), round(s, 4), None, None] for c, s in hits]
                             for hits in anchor_lists]
    metrics = {name: summarize(lists, answer_sets) for name, lists in ranked_docs.items()}
    print_table(f"Retrieval, corpus {args.corpus}: {len(evaluated)} questions, {len(chunks)} chunks, top_k {args.top_k} "
                f"(bm25 = rank_bm25 anchor)", metrics)
    ratios = {}
    anchor_metrics = metrics["bm25"]
    for mode in args.modes:
        ratios[mode] = {name: ratio(metrics[mode][name], anchor_metrics[name]) for name in METRIC_NAMES}
        print(f"  {mode} / bm25: hit@5 {ratios[mode]['hit@5']}x, MRR@5 {ratios[mode]['MRR@5']}x, "
              f"nDCG@10 {ratios[mode]['nDCG@10']}x")
    latency = {f"{mode}@{k}": latency_summary([a["seconds"] for a in answers])
               for (mode, k), answers in answers_by_plan.items()}
    print("  search latency (client, ms) p50/p95: " + ", ".join(
        f"{key} {v['p50'] * 1000:.0f}/{v['p95'] * 1000:.0f}" for key, v in latency.items() if v))
    print(f"  anchor: {anchor_seconds:.1f} s for index + {len(evaluated)} queries; "
          f"ragd searches: {search_seconds:.1f} s")
    if client.stats["rate_limited"] - limited_before:
        print(f"  rate limited {client.stats['rate_limited'] - limited_before} times during the searches")

    per_question = []
    for index, q in enumerate(evaluated):
        entry = {"id": q["id"], "question": q["question"], "answers": q["answers"],
                 "answers_ingested": sorted(primary_corpus_id(t) for t in q["targets"]), "note": q.get("note"),
                 "first_relevant_rank": {}, "metrics": {}, "results": {}}
        for name in ranked_docs:
            entry["first_relevant_rank"][name] = first_relevant_rank(ranked_docs[name][index], q["targets"])
            entry["metrics"][name] = question_metrics(ranked_docs[name][index], q["targets"])
            entry["results"][name] = ranked_chunks[name][index]
        per_question.append(entry)
    if args.verbose:
        print("\nMisses (no answer document in the first 5):")
        for name in ranked_docs:
            missed = [e["id"] for e in per_question if e["metrics"][name]["hit@5"] == 0]
            print(f"  {name} ({len(missed)}): {' '.join(missed) if missed else '-'}")

    # 6. Fusion tuning.
    fusion = None
    legs_json = None
    if args.legs:
        fusion, legs_json = fusion_report(args, evaluated, answers_by_plan, answer_sets, chunk_to_doc, ranked_docs,
                                          metrics, primary_corpus_id)

    # 7. Results.
    out = Path(args.out) if args.out else RESULTS_DIR / f"{args.tenant}-{run_started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "started_at": run_started.isoformat(timespec="seconds"),
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": {"corpus": args.corpus, "tenant": args.tenant, "url": args.url, "top_k": args.top_k,
                     "concurrency": args.concurrency, "modes": args.modes, "limit_docs": args.limit_docs, "sample_docs": args.sample_docs,
                     "skip_ingest": args.skip_ingest, "legs": args.legs, "leg_top_k": LEG_TOP_K, "prune": args.prune,
                     "anchor": "rank_bm25.BM25Okapi defaults; tokenizer: NFKC, lower, \\w runs, Snowball English "
                               "stems, CJK bigrams (bench/eval_metrics.py)"},
        "server": server_info(client, binary, env_file),
        "machine": machine_info(),
        "counts": {"corpus_documents": len(corpus) if corpus is not None else None,
                   "ragd_documents": len(ragd_ids), "chunks": len(chunks), "questions": len(questions),
                   "questions_evaluated": len(evaluated), "questions_skipped": skipped,
                   "questions_with_unknown_answers": unknown_answers, "foreign_documents": len(foreign)},
        "ingest": ingest,
        "http": client.stats,
        "metrics": metrics,
        "ratios_to_bm25": ratios,
        "search_latency_s": latency,
        "fusion": fusion,
        "documents": {rid: cids for rid, cids in ragd_to_corpus.items()},
        "per_question": per_question,
        "legs": legs_json,
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=sorted) + "\n", encoding="utf-8")
    print(f"\nWrote {out}")
    http = client.stats
    print(f"HTTP: {http['requests']} requests, {http['rate_limited']} rate limited "
          f"({http['rate_limited_wait_s']:.0f} s waited), {http['retried']} retried, errors {http['errors']}")
    return 0


def collapse_depths(grid):
    """Grid settings in order, those that differ only in depth and score the same merged:
    [(first setting, [depths])]."""
    groups: dict = {}
    order = []
    for setting in grid:
        key = (setting.k_rrf, setting.w_vector, setting.w_keyword, tuple(sorted(setting.metrics.items())))
        if key not in groups:
            groups[key] = (setting, [])
            order.append(key)
        groups[key][1].append(setting.depth)
    return [(groups[key][0], sorted(groups[key][1])) for key in order]


def fusion_report(args, evaluated, answers_by_plan, answer_sets, chunk_to_doc, ranked_docs, metrics, primary_corpus_id):
    """Replays weighted RRF over the saved vector/keyword top-50 lists; prints the best
    grid settings and the defaults. Returns (JSON summary, per-question leg lists)."""
    vector_answers = answers_by_plan[("vector", LEG_TOP_K)]
    keyword_answers = answers_by_plan[("keyword", LEG_TOP_K)]

    def leg_list(answer, leg):
        hits = answer["results"]
        ranks = [(r.get("ranks") or {}).get(leg) for r in hits]
        if ranks != list(range(1, len(hits) + 1)):
            # Rows that were not ready were dropped after the leg ranked them.
            leg_list.gaps += 1
        return [r["chunk_id"] for r in hits]

    leg_list.gaps = 0
    vector_lists = [leg_list(a, "vector") for a in vector_answers]
    keyword_lists = [leg_list(a, "keyword") for a in keyword_answers]
    served_fusion = server_fusion(Path(args.env_file), args.server_fusion, args.top_k)
    # The brief's depths plus the server's own, within what the legs hold.
    depths = tuple(d for d in sorted(set(GRID_DEPTH) | {served_fusion["depth"]}) if d <= LEG_TOP_K)
    grid = fusion_grid(vector_lists, keyword_lists, chunk_to_doc, answer_sets, GRID_K, GRID_KEYWORD_OVER_VECTOR, depths)
    brief_default = evaluate_fusion(vector_lists, keyword_lists, chunk_to_doc, answer_sets, 60, 1, 1, 20)
    server_like = None
    agreement = None
    if served_fusion["depth"] <= LEG_TOP_K:
        fusion_args = (served_fusion["k"], served_fusion["w_vector"], served_fusion["w_keyword"], served_fusion["depth"])
        server_like = evaluate_fusion(vector_lists, keyword_lists, chunk_to_doc, answer_sets, *fusion_args)
        if "hybrid" in args.modes:
            simulated = simulate_fusion(vector_lists, keyword_lists, *fusion_args)
            served = [[r["chunk_id"] for r in a["results"]] for a in answers_by_plan[("hybrid", args.top_k)]]
            same = sum(1 for s, v in zip(simulated, served) if s[: args.top_k] == v)
            agreement = {"identical_top_k_lists": same, "questions": len(served)}

    print(f"\nFusion grid (offline weighted RRF over vector/keyword top {LEG_TOP_K}; w_vector = 1; "
          f"{len(grid)} settings; an approximation of the server's fusion, which drops rows that are not ready "
          f"after fusing):")
    rows = {}
    for index, (setting, depths_alike) in enumerate(collapse_depths(grid)[:5]):
        rows[f"best {index + 1}"] = setting.metrics
        print(f"  best {index + 1}: k={setting.k_rrf:g} w_vector={setting.w_vector:g} w_keyword={setting.w_keyword:g} "
              f"depth={','.join(map(str, depths_alike))}")
    rows["k60 1/1 depth 20"] = brief_default.metrics
    if server_like:
        rows["server settings"] = server_like.metrics
    if "hybrid" in metrics:
        rows["hybrid (served)"] = metrics["hybrid"]
    print_table("Fused (top 10 of the fused list):", rows)
    print(f"  server settings: {server_like.label() if server_like else served_fusion} (from the env file, "
          f"ragd's defaults or --server-fusion)")
    if agreement:
        print(f"  offline fusion with the server settings reproduces the served hybrid top {args.top_k} exactly for "
              f"{agreement['identical_top_k_lists']}/{agreement['questions']} questions")
        settings = recorded_settings(Path(args.env_file))
        if any(float(settings.get(key, default)) > 0 for key, default in DOCUMENT_LEG_DEFAULTS.items()):
            print("  (the server also ranks documents by their titles and sections, SEARCH_TITLE_WEIGHT and "
                  "SEARCH_SECTION_WEIGHT, which this replay of the two chunk legs leaves out)")
    if leg_list.gaps:
        print(f"  note: {leg_list.gaps} leg lists had rank gaps (rows not ready were dropped)")

    summary = {
        "note": "offline weighted RRF over the vector and keyword top-50 lists; approximates the server, which "
                "fuses and then drops rows that are not ready",
        "grid": {"k": list(GRID_K), "w_keyword_over_w_vector": list(GRID_KEYWORD_OVER_VECTOR), "depth": list(depths)},
        "best": grid[0].as_json(),
        "top": [s.as_json() for s in grid[:20]],
        "default_k60_equal_depth20": brief_default.as_json(),
        "server_settings": served_fusion,
        "server_like": server_like.as_json() if server_like else None,
        "served_hybrid_agreement": agreement,
        "leg_rank_gaps": leg_list.gaps,
        "all": [s.as_json() for s in grid],
    }
    legs_json = {q["id"]: {"vector": [[r["chunk_id"], primary_corpus_id(r["document_id"]), (r.get("ranks") or {}).get("vector")]
                                      for r in v["results"]],
                           "keyword": [[r["chunk_id"], primary_corpus_id(r["document_id"]), (r.get("ranks") or {}).get("keyword")]
                                       for r in k["results"]]}
                 for q, v, k in zip(evaluated, vector_answers, keyword_answers)}
    return summary, legs_json


if __name__ == "__main__":
    sys.exit(main())
