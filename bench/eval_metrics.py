"""Pure pieces of the retrieval evaluation (bench/eval.py): metrics, the BM25 anchor and
its tokenizer, and offline weighted reciprocal rank fusion. No network, no ragd.

Ranked lists
------------
A search answers a ranked list of chunks; every metric here works on that list mapped to
documents (`ranked_docs`: the document id of each position, best first, repeats allowed
because several chunks of one document can be found). A position is relevant when its
document is one of the question's `answers` (a set of document ids).

* hit@k: 1 if any of the first k positions is relevant, else 0.
* MRR@k: 1 / (position of the first relevant chunk) if it is within k, else 0.
* nDCG@k: binary gain, DCG = sum over positions i <= k of gain_i / log2(i + 1), where only
  the first chunk of each answer document gains 1 (later chunks of the same document gain
  0, so finding one document three times is not better than finding it once); ideal DCG
  = the DCG of min(#answers, k) gains at the top.

Anchor tokenizer (`anchor_tokens`)
----------------------------------
1. Unicode NFKC, then lower-case.
2. Split into Unicode word runs (`[^\\W_]+`: letters, digits and marks; underscores and
   everything else separate words).
3. Inside a run, the CJK characters (Han, Hiragana, Katakana incl. the prolonged sound
   mark, Hangul) are cut out as their own stretches: each CJK stretch becomes overlapping
   character bigrams ("信息检索" -> "信息", "息检", "检索"); a lone CJK character stays a
   unigram.
4. Every other stretch is one word, stemmed with the Snowball English stemmer (PyStemmer):
   "running" -> "run". Digits and non-English words go through the stemmer too (it leaves
   most of them alone).
5. No stop words are removed (BM25's idf weighs them down).

The anchor is `rank_bm25.BM25Okapi` with its defaults (k1 = 1.5, b = 0.75, epsilon =
0.25) over exactly the chunks ragd stored; only chunks that contain at least one query
term are returned, like a full-text search.

Offline fusion (`simulate_fusion`)
----------------------------------
ragd's hybrid mode fuses the vector leg and the keyword leg with reciprocal rank fusion:
score = sum over legs of w_leg / (k + rank_leg), counting a leg only where the chunk's
rank in it is <= depth; ties go to the better single rank, then to the smaller chunk id
(as in Sources/RagdPipeline/ReciprocalRankFusion.swift). The server fuses first and then
drops rows that are not ready (pending or deleted documents); the simulation works on the
lists the server returned for `mode=vector` and `mode=keyword`, which already lack such
rows, so it is an approximation of the server's fusion that is exact when every document
of the tenant is ready.
"""
from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

import regex

# ---- metrics -----------------------------------------------------------------------


def relevant_positions(ranked_docs: Sequence[str], answers: Iterable[str]) -> list[int]:
    """1-based positions whose document is an answer."""
    wanted = set(answers)
    return [i + 1 for i, doc in enumerate(ranked_docs) if doc in wanted]


def first_relevant_rank(ranked_docs: Sequence[str], answers: Iterable[str]) -> int | None:
    """1-based position of the first relevant chunk, or None."""
    positions = relevant_positions(ranked_docs, answers)
    return positions[0] if positions else None


def hit_at_k(ranked_docs: Sequence[str], answers: Iterable[str], k: int) -> float:
    rank = first_relevant_rank(ranked_docs[:k], answers)
    return 1.0 if rank is not None else 0.0


def mrr_at_k(ranked_docs: Sequence[str], answers: Iterable[str], k: int) -> float:
    rank = first_relevant_rank(ranked_docs[:k], answers)
    return 1.0 / rank if rank is not None else 0.0


def ndcg_at_k(ranked_docs: Sequence[str], answers: Iterable[str], k: int) -> float:
    """Binary-gain nDCG@k; only the first chunk of each answer document gains."""
    wanted = set(answers)
    if not wanted:
        return 0.0
    seen: set[str] = set()
    dcg = 0.0
    for i, doc in enumerate(ranked_docs[:k]):
        if doc in wanted and doc not in seen:
            seen.add(doc)
            dcg += 1.0 / math.log2(i + 2)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return dcg / ideal


METRIC_NAMES = ("hit@1", "hit@5", "MRR@5", "nDCG@10")


def question_metrics(ranked_docs: Sequence[str], answers: Iterable[str]) -> dict[str, float]:
    answers = set(answers)
    return {
        "hit@1": hit_at_k(ranked_docs, answers, 1),
        "hit@5": hit_at_k(ranked_docs, answers, 5),
        "MRR@5": mrr_at_k(ranked_docs, answers, 5),
        "nDCG@10": ndcg_at_k(ranked_docs, answers, 10),
    }


def summarize(ranked_lists: Sequence[Sequence[str]], answer_sets: Sequence[Iterable[str]]) -> dict[str, float]:
    """Mean of each metric over questions, plus found@5 (questions with a hit in 5) and total."""
    if len(ranked_lists) != len(answer_sets):
        raise ValueError("one ranked list per question")
    per_question = [question_metrics(r, a) for r, a in zip(ranked_lists, answer_sets)]
    total = len(per_question)
    summary = {name: (sum(m[name] for m in per_question) / total if total else 0.0) for name in METRIC_NAMES}
    summary["found@5"] = int(sum(m["hit@5"] for m in per_question))
    summary["total"] = total
    return summary


# ---- tokenizer and BM25 anchor -----------------------------------------------------

_WORD_RUN = regex.compile(r"[^\W_]+")
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u30fc"
_CJK_OR_NOT = regex.compile(rf"[{_CJK}]+|[^{_CJK}]+")
_CJK_CHAR = regex.compile(rf"[{_CJK}]")

_stemmer = None


def _english_stemmer():
    global _stemmer
    if _stemmer is None:
        import Stemmer  # PyStemmer

        _stemmer = Stemmer.Stemmer("english")
    return _stemmer


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams; one character stays a unigram."""
    if len(text) <= 1:
        return [text] if text else []
    return [text[i : i + 2] for i in range(len(text) - 1)]


def anchor_tokens(text: str) -> list[str]:
    """The anchor's tokenizer (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    stemmer = _english_stemmer()
    tokens: list[str] = []
    for run in _WORD_RUN.findall(text):
        for piece in _CJK_OR_NOT.findall(run):
            if _CJK_CHAR.match(piece):
                tokens.extend(cjk_bigrams(piece))
            else:
                tokens.append(stemmer.stemWord(piece))
    return tokens


class BM25Anchor:
    """rank_bm25.BM25Okapi (defaults) over chunks, with `anchor_tokens`."""

    def __init__(self, chunk_ids: Sequence[str], chunk_texts: Sequence[str]):
        from rank_bm25 import BM25Okapi

        if len(chunk_ids) != len(chunk_texts):
            raise ValueError("one text per chunk id")
        if not chunk_ids:
            raise ValueError("the anchor needs at least one chunk")
        self.chunk_ids = list(chunk_ids)
        tokenized = [anchor_tokens(t) for t in chunk_texts]
        self.bm25 = BM25Okapi(tokenized)
        # term -> chunk indexes, to return only chunks that contain a query term (BM25Okapi
        # floors the idf of very common terms at a small positive value, and a tiny corpus
        # can give scores <= 0, so "score > 0" is not the same as "matches").
        self.postings: dict[str, set[int]] = {}
        for index, tokens in enumerate(tokenized):
            for term in set(tokens):
                self.postings.setdefault(term, set()).add(index)

    def search(self, query: str, top_k: int) -> list[tuple[str, float]]:
        """(chunk id, score) best first, only chunks that share a term with the query;
        equal scores keep the order the chunks were given in."""
        terms = anchor_tokens(query)
        matching: set[int] = set()
        for term in set(terms):
            matching |= self.postings.get(term, set())
        if not matching:
            return []
        candidates = sorted(matching)
        # The library's own scoring, for the chunks that can score (same numbers as
        # get_scores, without a pass over every chunk per term).
        scores = self.bm25.get_batch_scores(terms, candidates)
        ranked = sorted(zip(candidates, scores), key=lambda pair: (-pair[1], pair[0]))[:top_k]
        return [(self.chunk_ids[i], float(score)) for i, score in ranked]


# ---- offline weighted reciprocal rank fusion ---------------------------------------


def fuse_one(vector_list: Sequence[str], keyword_list: Sequence[str], k_rrf: float, w_vector: float,
             w_keyword: float, depth: int) -> list[str]:
    """Weighted RRF of two ranked chunk-id lists (best first, rank = index + 1)."""
    scores: dict[str, float] = {}
    best_rank: dict[str, int] = {}
    for weight, ranked in ((w_vector, vector_list), (w_keyword, keyword_list)):
        seen: set[str] = set()
        for index, chunk in enumerate(ranked[:depth]):
            if chunk in seen:  # a repeated id counts once per leg, as on the server
                continue
            seen.add(chunk)
            rank = index + 1
            scores[chunk] = scores.get(chunk, 0.0) + weight / (k_rrf + rank)
            best_rank[chunk] = min(best_rank.get(chunk, rank), rank)
    return sorted(scores, key=lambda c: (-scores[c], best_rank[c], c))


def simulate_fusion(vector_lists: Sequence[Sequence[str]], keyword_lists: Sequence[Sequence[str]], k_rrf: float,
                    w_vector: float, w_keyword: float, depth: int) -> list[list[str]]:
    """Weighted RRF per question: score = sum of w_leg / (k_rrf + rank) over the legs in
    which the chunk's rank is <= depth. Returns one fused chunk-id list per question."""
    if len(vector_lists) != len(keyword_lists):
        raise ValueError("one vector list and one keyword list per question")
    return [fuse_one(v, kw, k_rrf, w_vector, w_keyword, depth) for v, kw in zip(vector_lists, keyword_lists)]


GRID_K = (1, 5, 10, 20, 40, 60, 100)
GRID_KEYWORD_OVER_VECTOR = (0.5, 0.75, 1, 1.5, 2, 3)
GRID_DEPTH = (10, 20, 30, 50)


@dataclass
class FusionSetting:
    k_rrf: float
    w_vector: float
    w_keyword: float
    depth: int
    metrics: dict

    def label(self) -> str:
        return f"k={self.k_rrf:g} w_vector={self.w_vector:g} w_keyword={self.w_keyword:g} depth={self.depth}"

    def as_json(self) -> dict:
        return {"k": self.k_rrf, "w_vector": self.w_vector, "w_keyword": self.w_keyword, "depth": self.depth,
                **self.metrics}


def evaluate_fusion(vector_lists, keyword_lists, chunk_to_doc: dict[str, str], answer_sets, k_rrf, w_vector,
                    w_keyword, depth) -> FusionSetting:
    fused = simulate_fusion(vector_lists, keyword_lists, k_rrf, w_vector, w_keyword, depth)
    ranked_docs = [[chunk_to_doc[c] for c in chunks[:10]] for chunks in fused]
    return FusionSetting(k_rrf, w_vector, w_keyword, depth, summarize(ranked_docs, answer_sets))


def fusion_grid(vector_lists, keyword_lists, chunk_to_doc, answer_sets, ks=GRID_K, ratios=GRID_KEYWORD_OVER_VECTOR,
                depths=GRID_DEPTH) -> list[FusionSetting]:
    """Every (k, w_keyword/w_vector, depth) of the grid (w_vector = 1), best first: by
    MRR@5, then hit@5, then nDCG@10, then the setting (smaller k, ratio, depth first)."""
    results = [evaluate_fusion(vector_lists, keyword_lists, chunk_to_doc, answer_sets, k, 1.0, ratio, depth)
               for k, ratio, depth in itertools.product(ks, ratios, depths)]
    return sorted(results, key=lambda s: (-round(s.metrics["MRR@5"], 12), -round(s.metrics["hit@5"], 12),
                                          -round(s.metrics["nDCG@10"], 12), s.k_rrf, s.w_keyword, s.depth))
