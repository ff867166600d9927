#!/usr/bin/env python3
"""Check a retrieval question set against its corpus.

    python3 check_questions.py CORPUS.jsonl QUESTIONS.jsonl [--lang en|zh]

CORPUS.jsonl is the output of ``corpora.py`` (or give ``en`` / ``zh`` instead of
a path to build the corpus in memory).  The language defaults to ``zh`` when the
questions contain CJK characters, else ``en``.  Checks:

* every line is ``{"id", "question", "answers", "note"}`` with a non-empty
  ``answers`` list, ids are unique, and every answer id exists in the corpus;
* no duplicate questions (case, spacing and punctuation ignored);
* no copying: a question shares no run of 6 consecutive words (en; words are
  lower-cased ``\\w+`` tokens) or 8 consecutive CJK characters (zh; only CJK
  characters are kept on both sides, everything else is removed) with the
  visible text or title of any of its answer documents.

Prints a summary (question count, answers per question, spread over corpus
sections, longest copied run) and exits with status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpora import build_corpus, html_to_text  # noqa: E402

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LIMIT = {"en": 6, "zh": 8}


def units(text: str, lang: str) -> list[str]:
    """The sequence that runs are counted in: words (en) or CJK characters (zh)."""
    if lang == "zh":
        return CJK.findall(text)
    return re.findall(r"\w+", text.lower())


def grams(seq: list[str], n: int) -> set[tuple]:
    return {tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)}


def longest_shared_run(q: list[str], doc_grams_by_len, limit: int) -> int:
    """Longest n (1..limit) such that some n-run of q occurs in the documents."""
    best = 0
    for n in range(1, limit + 1):
        if grams(q, n) & doc_grams_by_len[n]:
            best = n
        else:
            break
    return best


def load_corpus(arg: str) -> dict:
    if arg in ("en", "zh") and not os.path.exists(arg):
        docs = build_corpus(arg)
    else:
        with open(arg, encoding="utf-8") as f:
            docs = [json.loads(line) for line in f if line.strip()]
    return {d["id"]: d for d in docs}


def group_of(doc_id: str) -> str:
    """Corpus section used for the spread summary: folder (en) or chapter file (zh)."""
    if "#" in doc_id:
        return doc_id.split("#")[0].split(".")[0]
    return doc_id.split("/")[0] if "/" in doc_id else "(top)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", help="corpus JSONL from corpora.py, or 'en' / 'zh' to build it")
    ap.add_argument("questions", help="questions JSONL")
    ap.add_argument("--lang", choices=("en", "zh"))
    args = ap.parse_args(argv)

    corpus = load_corpus(args.corpus)
    with open(args.questions, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    lang = args.lang or ("zh" if any(CJK.search(r.get("question", "")) for r in rows) else "en")
    limit = LIMIT[lang]

    errors, seen_ids, seen_q = [], set(), {}
    text_cache, runs = {}, []
    per_group, n_answers = collections.Counter(), collections.Counter()
    for i, r in enumerate(rows, 1):
        where = "line %d (%s)" % (i, r.get("id"))
        if set(r) != {"id", "question", "answers", "note"}:
            errors.append("%s: keys are %s" % (where, sorted(r)))
        qid, q, answers = r.get("id"), r.get("question", ""), r.get("answers") or []
        if qid in seen_ids:
            errors.append("%s: duplicate id" % where)
        seen_ids.add(qid)
        if not q.strip():
            errors.append("%s: empty question" % where)
        key = re.sub(r"[\W_]+", "", q.lower())
        if key in seen_q:
            errors.append("%s: same question as %s" % (where, seen_q[key]))
        seen_q.setdefault(key, qid)
        if not isinstance(answers, list) or not answers:
            errors.append("%s: no answers" % where)
            continue
        missing = [a for a in answers if a not in corpus]
        if missing:
            errors.append("%s: answer ids not in corpus: %s" % (where, missing))
            continue
        n_answers[len(answers)] += 1
        for a in answers:
            per_group[group_of(a)] += 1
        # copying check against every answer document (visible text + title)
        by_len = collections.defaultdict(set)
        for a in answers:
            if a not in text_cache:
                seq = units(corpus[a]["title"] + "\n" + html_to_text(corpus[a]["html"]), lang)
                text_cache[a] = {n: grams(seq, n) for n in range(1, limit + 1)}
            for n, g in text_cache[a].items():
                by_len[n] |= g
        qseq = units(q, lang)
        run = longest_shared_run(qseq, by_len, limit)
        runs.append(run)
        if run >= limit:
            shared = [" ".join(g) if lang == "en" else "".join(g)
                      for g in grams(qseq, limit) & by_len[limit]]
            errors.append("%s: shares a %d-%s run with its answer: %s"
                          % (where, limit, "word" if lang == "en" else "character", shared[:3]))

    print("questions: %d (%s), corpus: %d documents" % (len(rows), lang, len(corpus)))
    print("answers per question: %s" % dict(sorted(n_answers.items())))
    print("distinct answer documents: %d" % len({a for r in rows for a in r.get("answers") or []}))
    print("answers per corpus section (%d sections): %s"
          % (len(per_group), ", ".join("%s=%d" % kv for kv in sorted(per_group.items()))))
    if runs:
        print("longest run shared with answer text (%s, limit %d): max %d, histogram %s"
              % ("words" if lang == "en" else "CJK chars", limit, max(runs),
                 dict(sorted(collections.Counter(runs).items()))))
    for e in errors:
        print("ERROR " + e)
    print("FAIL: %d problem(s)" % len(errors) if errors else "OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
