"""Hand-computed cases for bench/eval_metrics.py: python3 -m pytest bench/test_eval_metrics.py -q"""
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_metrics import (  # noqa: E402
    BM25Anchor,
    anchor_tokens,
    cjk_bigrams,
    evaluate_fusion,
    first_relevant_rank,
    fusion_grid,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    simulate_fusion,
    summarize,
)

# ---- hit@k and MRR -----------------------------------------------------------------


def test_hit_at_k_counts_any_relevant_chunk_within_k():
    ranked = ["a", "b", "c", "a", "d"]
    assert hit_at_k(ranked, {"c"}, 1) == 0
    assert hit_at_k(ranked, {"c"}, 2) == 0
    assert hit_at_k(ranked, {"c"}, 3) == 1
    assert hit_at_k(ranked, {"c"}, 5) == 1
    assert hit_at_k(ranked, {"a"}, 1) == 1
    assert hit_at_k(ranked, {"z"}, 5) == 0
    assert hit_at_k([], {"a"}, 5) == 0


def test_hit_with_several_answers():
    assert hit_at_k(["x", "y", "b"], {"a", "b"}, 3) == 1
    assert hit_at_k(["x", "y", "b"], {"a", "b"}, 2) == 0


def test_mrr_is_one_over_first_relevant_position_within_k():
    ranked = ["a", "b", "c", "a", "d"]
    assert mrr_at_k(ranked, {"c"}, 5) == pytest.approx(1 / 3)
    assert mrr_at_k(ranked, {"c"}, 2) == 0.0
    assert mrr_at_k(ranked, {"a"}, 5) == 1.0
    assert mrr_at_k(ranked, {"d"}, 5) == pytest.approx(0.2)
    assert mrr_at_k(ranked, {"d"}, 4) == 0.0
    # Two answers: the first of either counts.
    assert mrr_at_k(ranked, {"d", "b"}, 5) == pytest.approx(0.5)
    assert first_relevant_rank(ranked, {"d", "c"}) == 3
    assert first_relevant_rank(ranked, {"q"}) is None


# ---- nDCG --------------------------------------------------------------------------


def test_ndcg_single_answer_at_top_and_second():
    assert ndcg_at_k(["a", "x"], {"a"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))  # 0.6309
    assert ndcg_at_k(["x", "a"], {"a"}, 10) == pytest.approx(0.630930, abs=1e-6)


def test_ndcg_repeated_chunks_of_one_document_gain_once():
    # a at 1, 2, 3: only position 1 gains. Ideal for one answer: 1.
    assert ndcg_at_k(["a", "a", "a"], {"a"}, 10) == pytest.approx(1.0)
    # Two answers, only "a" found (three times): DCG = 1; IDCG = 1 + 1/log2(3) = 1.63093.
    assert ndcg_at_k(["a", "a", "a"], {"a", "b"}, 10) == pytest.approx(1 / 1.630930, abs=1e-6)  # 0.61315


def test_ndcg_multiple_answers_with_repeat_in_between():
    # x a a b: gains at 2 (a) and 4 (b); the repeat of a at 3 gains 0.
    # DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
    # IDCG = 1 + 1/log2(3) = 1.630930 -> 0.650921
    assert ndcg_at_k(["x", "a", "a", "b"], {"a", "b"}, 10) == pytest.approx(0.650921, abs=1e-6)
    # Cut at 3: b is beyond k, DCG = 0.630930, IDCG still 1.630930 -> 0.386853
    assert ndcg_at_k(["x", "a", "a", "b"], {"a", "b"}, 3) == pytest.approx(0.386853, abs=1e-6)


def test_ndcg_ideal_is_capped_at_k_answers():
    answers = {f"d{i}" for i in range(12)}
    ranked = [f"d{i}" for i in range(10)]
    assert ndcg_at_k(ranked, answers, 10) == pytest.approx(1.0)
    assert ndcg_at_k([], answers, 10) == 0.0


def test_summarize_means_and_found_count():
    ranked = [["a", "x"], ["x", "b"], ["x", "x", "x", "x", "x", "c"]]
    answers = [{"a"}, {"b"}, {"c"}]
    s = summarize(ranked, answers)
    assert s["total"] == 3
    assert s["found@5"] == 2
    assert s["hit@1"] == pytest.approx(1 / 3)
    assert s["hit@5"] == pytest.approx(2 / 3)
    assert s["MRR@5"] == pytest.approx((1 + 0.5 + 0) / 3)
    # nDCG@10: 1, 1/log2(3), 1/log2(7)
    assert s["nDCG@10"] == pytest.approx((1 + 0.630930 + 0.356207) / 3, abs=1e-6)


# ---- weighted reciprocal rank fusion -----------------------------------------------


def test_rrf_default_weights():
    # c1: 1/61 + 1/62 = 0.032522; c3: 1/63 + 1/61 = 0.032266; c2: 1/62 = 0.016129
    fused = simulate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], 60, 1, 1, 20)
    assert fused == [["c1", "c3", "c2"]]


def test_rrf_keyword_weight_changes_the_order():
    # w_keyword = 3: c1: 1/61 + 3/62 = 0.064780; c3: 1/63 + 3/61 = 0.065053 -> c3 first.
    fused = simulate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], 60, 1, 3, 20)
    assert fused == [["c3", "c1", "c2"]]
    # w_vector = 3 instead: c1: 3/61 + 1/62 = 0.065309; c2: 3/62 = 0.048387; c3: 3/63 + 1/61 = 0.063999
    fused = simulate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], 60, 3, 1, 20)
    assert fused == [["c1", "c3", "c2"]]


def test_rrf_depth_drops_deeper_ranks():
    # depth 1: c1 = 1/61 (vector rank 1), c3 = 1/61 (keyword rank 1); a tie with equal best
    # rank goes to the smaller id; c2 (vector rank 2) is beyond the depth.
    fused = simulate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], 60, 1, 1, 1)
    assert fused == [["c1", "c3"]]
    # depth 2: c1 = 1/61 + 1/62, c3 = 1/61 (keyword only), c2 = 1/62.
    fused = simulate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], 60, 1, 1, 2)
    assert fused == [["c1", "c3", "c2"]]


def test_rrf_ties_go_to_better_single_rank_then_id():
    # k = 2: "a" is vector rank 1 -> 1/3; "b" is keyword rank 4 with weight 2 -> 2/6 = 1/3.
    # Equal scores: a's best rank (1) beats b's (4).
    fused = simulate_fusion([["a"]], [["k1", "k2", "k3", "b"]], 2, 1, 2, 10)[0]
    assert fused.index("a") < fused.index("b")
    # Symmetric lists: equal scores and equal best ranks -> by id.
    assert simulate_fusion([["b", "a"]], [["a", "b"]], 1, 1, 1, 10) == [["a", "b"]]


def test_rrf_one_leg_empty_keeps_the_other_order_and_repeats_count_once():
    assert simulate_fusion([["x", "y"]], [[]], 60, 1, 1, 20) == [["x", "y"]]
    # A repeated id in one leg counts once (its first rank).
    assert simulate_fusion([["x", "y", "x"]], [["y"]], 60, 1, 1, 20) == [["y", "x"]]


def test_evaluate_fusion_maps_chunks_to_documents():
    chunk_to_doc = {"c1": "A", "c2": "B", "c3": "B"}
    setting = evaluate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], chunk_to_doc, [{"B"}], 60, 1, 3, 20)
    # fused c3 (B), c1 (A), c2 (B): hit@1, MRR 1, nDCG 1.
    assert setting.metrics["hit@1"] == 1 and setting.metrics["MRR@5"] == 1
    setting = evaluate_fusion([["c1", "c2", "c3"]], [["c3", "c1"]], chunk_to_doc, [{"B"}], 60, 1, 1, 20)
    # fused c1 (A), c3 (B), c2 (B): MRR 1/2, nDCG 1/log2(3).
    assert setting.metrics["MRR@5"] == pytest.approx(0.5)
    assert setting.metrics["nDCG@10"] == pytest.approx(1 / math.log2(3))


def test_fusion_grid_puts_best_mrr_first():
    chunk_to_doc = {"c1": "A", "c2": "B", "c3": "B"}
    grid = fusion_grid([["c1", "c2", "c3"]], [["c3", "c1"]], chunk_to_doc, [{"B"}], ks=(60,), ratios=(1, 3),
                       depths=(20,))
    assert [(s.w_keyword, s.metrics["MRR@5"]) for s in grid] == [(3, 1.0), (1, 0.5)]


# ---- tokenizer and anchor ------------------------------------------------------------


def test_cjk_bigrams():
    assert cjk_bigrams("信息检索") == ["信息", "息检", "检索"]
    assert cjk_bigrams("中") == ["中"]
    assert cjk_bigrams("") == []


def test_anchor_tokens():
    assert anchor_tokens("Running_fast, the RUNNERS!") == ["run", "fast", "the", "runner"]
    assert anchor_tokens("ＡＢＣ") == ["abc"]  # NFKC folds full-width letters
    assert anchor_tokens("python3中文 信息检索 中") == ["python3", "中文", "信息", "息检", "检索", "中"]
    assert anchor_tokens("データベース") == ["デー", "ータ", "タベ", "ベー", "ース"]
    assert anchor_tokens("") == []


def test_bm25_anchor_returns_only_matching_chunks_best_first():
    # Fillers keep every query term in fewer than half the chunks (BM25Okapi's idf is
    # positive there); "the" is in most chunks, which only lowers its weight.
    texts = ["cats hunt at night", "dogs sleep", "the cat hunted mice at night"] + [f"the filler {i}" for i in range(7)]
    anchor = BM25Anchor([f"c{i + 1}" for i in range(len(texts))], texts)
    found = [c for c, _ in anchor.search("hunting cats", 10)]
    assert set(found) == {"c1", "c3"}
    assert found[0] == "c1"  # shorter chunk with both terms
    assert anchor.search("zebra", 10) == []
    # A term in most chunks still only finds chunks that contain it.
    assert {c for c, _ in anchor.search("the", 10)} == {"c3"} | {f"c{i}" for i in range(4, 11)}
    assert anchor.search("!!!", 10) == []


def test_bm25_anchor_scores_are_the_librarys():
    texts = ["cats hunt at night", "dogs sleep", "the cat hunted mice at night"] + [f"the filler {i}" for i in range(7)]
    anchor = BM25Anchor([f"c{i}" for i in range(len(texts))], texts)
    full = anchor.bm25.get_scores(anchor_tokens("hunting cats at night"))
    for chunk, score in anchor.search("hunting cats at night", 10):
        assert score == pytest.approx(full[int(chunk[1:])])
