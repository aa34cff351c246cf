"""Which words drove the intent: occlusion attributions and an HTML rendering."""
