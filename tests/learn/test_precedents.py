"""The precedents index: a repeated item is found first, the treatment-class filter, fewer than K said why,
the neighbours' share, nothing from review read, the request's fields, exact ranking on a small corpus, and
leave-one-letter-out on the real letters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics.pairwise import cosine_similarity

from imrml.learn.pipeline import build_pipeline
from imrml.learn.precedents import PrecedentIndex, block_texts, treatment_classes
from imrml.learn.views import POST_DECISION_FIELDS
from imrml.records.frame import records_to_frame


@pytest.fixture(scope="module")
def decided(make_records):
    return records_to_frame(make_records(80, seed=11))


@pytest.fixture(scope="module")
def index(decided):
    return PrecedentIndex(n_neighbors=5).fit(decided, decided["decision"].to_numpy())


def test_a_query_that_repeats_a_decided_item_finds_it_first(index, decided):
    distance, neighbours = index.kneighbors(decided, n_neighbors=len(decided))  # its whole class, nearest first
    for q in range(len(decided)):
        same = neighbours[q][distance[q] < 1e-5]  # decided items that read exactly like the query
        assert q in same and neighbours[q, 0] == same.min()  # ties: the earlier decided item first
    alone = [q for q in range(len(decided)) if distance[q, 1] > 1e-5]
    assert len(alone) > len(decided) / 2 and all(neighbours[q, 0] == q for q in alone)


def test_neighbours_stay_in_the_treatment_class_unless_widened(index, decided):
    classes = treatment_classes(decided)
    _, neighbours = index.kneighbors(decided)
    found = neighbours >= 0
    assert (classes[np.where(found, neighbours, 0)] == classes[:, None])[found].all()
    _, wide = index.kneighbors(decided, n_neighbors=60, same_class=False)
    assert (wide >= 0).all() and (classes[wide] != classes[:, None]).any(axis=1).all()  # 60 > any one class


def test_a_small_class_gives_fewer_neighbours_and_an_unknown_one_none(decided):
    opioid = decided.index[decided["item"].str.startswith("Norco")][:3]
    small = pd.concat([decided.drop(decided.index[decided["item"].str.startswith("Norco")]), decided.loc[opioid]])
    model = PrecedentIndex(n_neighbors=5).fit(small, small["decision"].to_numpy())
    assert model.class_sizes()["Opioids"] == 3
    query = pd.DataFrame({"item": ["Norco 10/325 mg #120", "Hyperbaric oxygen chamber"], "case_summary": ["x", "y"]})
    distance, neighbours = model.kneighbors(query)
    assert (neighbours[0, :3] >= 0).all() and (neighbours[0, 3:] == -1).all() and np.isinf(distance[0, 3:]).all()
    assert (neighbours[1] == -1).all()  # no decided item of its class
    assert (model.kneighbors(query, same_class=False)[1] >= 0).all()


def test_the_score_is_the_share_of_the_neighbours_decisions(index, decided):
    _, neighbours = index.kneighbors(decided)
    overturned = (decided["decision"].to_numpy()[neighbours] == "Overturned").mean(axis=1)
    proba = index.predict_proba(decided)
    assert list(index.classes_) == ["Overturned", "Upheld"]
    np.testing.assert_allclose(proba[:, 0], overturned)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_nothing_written_in_review_moves_a_neighbour(decided, make_experiment):
    model = build_pipeline(make_experiment("p", kind="precedents")).fit(decided, decided["decision"].to_numpy())
    mutated = decided.assign(**{c: "changed by review" for c in POST_DECISION_FIELDS if c in decided})
    mutated["reviewer_guideline_sources"] = "ODG"
    np.testing.assert_array_equal(model.predict_proba(decided), model.predict_proba(mutated))


def test_the_request_fields_count_and_the_given_ones_win():
    same = "Chronic low back pain after a lifting injury; the provider continued medications."
    decided = pd.DataFrame(
        {
            "item": ["Tramadol 50mg #60", "Vicodin 5/300 mg #60"],
            "case_summary": [same, same],
            "decision": ["Upheld", "Overturned"],
        }
    )
    query = pd.DataFrame({"item": ["Norco 10/325 mg #90"], "case_summary": [same]})  # hydrocodone/acetaminophen
    by_fields = PrecedentIndex(n_neighbors=2, item_weight=0.0).fit(decided, decided["decision"])
    assert decided["item"][by_fields.kneighbors(query)[1][0, 0]].startswith("Vicodin")
    blind = PrecedentIndex(n_neighbors=2, item_weight=0.0, request_weight=0.0).fit(decided, decided["decision"])
    assert np.isclose(*blind.kneighbors(query)[0][0])  # without the fields both are as near
    given = query.assign(request_kind="medication", drug_generic="tramadol", drug_class="opioids")
    assert decided["item"][by_fields.kneighbors(given)[1][0, 0]].startswith("Tramadol")


def test_a_small_corpus_is_ranked_by_the_exact_sparse_cosine(index, decided):
    """Up to 1,000 rows the SVD keeps every direction: similarities are those of the stacked TF-IDF rows."""
    blocks = block_texts(decided)
    sparse = index._stacked({b: (codes, index._tfidf(b, texts)) for b, (codes, texts) in blocks.items()})
    distance, neighbours = index.kneighbors(decided.iloc[:20])
    exact = cosine_similarity(sparse[:20], sparse)
    np.testing.assert_allclose(1 - distance, np.take_along_axis(exact, neighbours, axis=1), atol=1e-4)
    classes = treatment_classes(decided)
    for q in range(20):  # the 5 most similar of the same class, as the sparse cosine ranks them
        same = np.flatnonzero(classes == classes[q])
        best = np.sort(exact[q, same])[::-1][:5]
        np.testing.assert_allclose(1 - distance[q], best, atol=1e-4)


def test_an_index_of_records_wants_records(index):
    with pytest.raises(ValueError, match="fitted on item records"):
        index.kneighbors(np.zeros((2, 3)))


@pytest.mark.shared
@pytest.mark.slow
def test_leave_one_letter_out_on_the_real_letters(dwc_items):
    """Every real item gets its precedents from the other letters only, and their overturned share is scored."""
    frame = records_to_frame(dwc_items)
    frame = frame[frame["decision"].isin(["Upheld", "Overturned"])].reset_index(drop=True)
    letters = frame["case_id"].to_numpy()
    share = np.zeros(len(frame))
    for letter in np.unique(letters):
        mine = letters == letter
        model = PrecedentIndex().fit(frame[~mine], frame["decision"][~mine])
        _, neighbours = model.kneighbors(frame[mine])
        found = neighbours >= 0
        sizes = model.class_sizes()  # K precedents, or all of its class the other letters have
        wanted = [min(10, sizes.get(c, 0)) for c in model.query_classes(frame[mine])]
        assert list(found.sum(axis=1)) == wanted
        others = letters[~mine][np.where(found, neighbours, 0)]
        assert (others[found] != letter).all()
        share[mine] = model.predict_proba(frame[mine])[:, list(model.classes_).index("Overturned")]
        # the score is the share Overturned among the precedents found, counted here by hand
        decided = frame["decision"][~mine].to_numpy()[np.where(found, neighbours, 0)]
        by_hand = ((decided == "Overturned") & found).sum(axis=1) / np.maximum(found.sum(axis=1), 1)
        assert np.allclose(share[mine][found.any(axis=1)], by_hand[found.any(axis=1)])
    overturned = frame["decision"].to_numpy() == "Overturned"
    assert 0 < overturned.sum() < len(frame)
    print(f"\nprecedents, one letter left out: ROC-AUC {roc_auc_score(overturned, share):.3f} on {len(frame)} items")
