"""Out-of-scope detection for intent classifiers, in numpy: the settings, one ``oos`` block per
component (:mod:`.settings`; the flat keys of older pipelines: :mod:`.flat_keys`),
scores (:mod:`.scores`), a class-conditional Gaussian feature model (:mod:`.gaussian`), the final
probabilities with prior correction and temperature (:mod:`.probabilities`, :mod:`.temperature`),
threshold choice (:mod:`.threshold`) and the decisions written to Docs (:mod:`.marking`).

Nothing here imports torch: the torch components and the exported ONNX components share this
code, so an exported pipeline rejects exactly what the torch one rejects and runs without torch.
The torch half that fits these settings on data is :mod:`nlp_rnn.pipeline.out_of_scope`.

Every score follows one convention: **higher = more likely out of scope**; a doc is rejected
when its score is above the threshold.
"""
