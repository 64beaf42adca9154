"""Learn: experiments, views, features, estimators, data sets and splits, metrics. Pure scikit-learn, no MLflow."""
