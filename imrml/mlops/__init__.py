"""MLOps: where MLflow tracks, the registry (pyfunc model, aliases, promotion), run artifacts."""
