"""Plain PyTorch modules (no spaCy or thinc imports): embeddings, encoders, pooling, heads."""
