"""Jobs: each reads its inputs and settings and calls letters, learn and mlops: parse, labels, synth,
train, promote, score, demo."""
