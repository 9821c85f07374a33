"""Vietnamese language work that knows no index.

Normalisation and tone placement (:mod:`.text`), tokens with offsets and word
segmentation (:mod:`.analysis`, :mod:`.crf`), and the spelling rules
(:mod:`.spelling`). Nothing here imports from the rest of vnsearch.
"""
