"""Models on disk: model directories with their card (model_dir) and other tools' vectors
files (formats)."""
