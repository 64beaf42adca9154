"""Training speed (issue 5): the default linear model on 100,000 generated items.

The default experiment (experiments/outcome_case_logreg.toml: outcome from the
case view, logistic regression on word 1-2-gram and item char 3-5-gram TF-IDF,
lexicon, structured fields, treatment class) is fitted once on 100,000 items
made by the generator. Timed: records -> frame -> fitted pipeline (target:
under 120 s on the 2-core machine), and scoring the same items. Generating the
items is not timed. The rationale view's model is timed too (reported, no target).
"""

import time

from _common import ROOT, save

from imrml.learn.dataset import prepare_dataset
from imrml.learn.experiment import load_experiment
from imrml.learn.inspect import inner_pipeline
from imrml.learn.pipeline import build_pipeline
from imrml.synth.corpus import generate_letters

N_ITEMS = 100_000
TARGET_S = 120.0
EXPERIMENTS = ("outcome_case_logreg", "outcome_rationale_logreg")


def items(n: int) -> list:
    out = []
    for letter in generate_letters(n, seed=0):  # more letters than needed; stop at n items
        out.extend(letter.items)
        if len(out) >= n:
            break
    return out[:n]


def main():
    t0 = time.perf_counter()
    records = items(N_ITEMS)
    gen_s = time.perf_counter() - t0
    result = {
        "data": f"{len(records)} generated items (imrml.synth.corpus.generate_letters, seed 0)",
        "generate_seconds": round(gen_s, 1),
    }
    for name in EXPERIMENTS:
        exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
        t0 = time.perf_counter()
        ds = prepare_dataset(records, exp.target, exp.data.min_class_count)
        frame_s = time.perf_counter() - t0
        pipe = build_pipeline(exp)
        t1 = time.perf_counter()
        pipe.fit(ds.frame, ds.y)
        fit_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        pipe.predict_proba(ds.frame)
        score_s = time.perf_counter() - t2
        n_features = len(inner_pipeline(pipe).named_steps["features"].get_feature_names_out())
        result[name] = {
            "items": len(ds.y),
            "frame_seconds": round(frame_s, 1),
            "fit_seconds": round(fit_s, 1),
            "train_seconds": round(frame_s + fit_s, 1),
            "score_seconds": round(score_s, 1),
            "items_scored_per_s": round(len(ds.y) / score_s),
            "features": n_features,
        }
    main_s = result[EXPERIMENTS[0]]["train_seconds"]
    result["targets"] = {f"{EXPERIMENTS[0]}.train_seconds": f"< {TARGET_S:.0f} for {N_ITEMS:,} items"}
    result["meets_targets"] = main_s < TARGET_S
    save("train", result)


if __name__ == "__main__":
    main()
