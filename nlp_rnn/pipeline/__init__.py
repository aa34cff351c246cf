"""spaCy pipeline components (``TrainablePipe`` subclasses)."""
