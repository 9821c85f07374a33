"""Vietnamese language work that knows no index.

Normalisation, tone placement and the one copy of the letter tables (tone
marks, vowels, the folding table) the other modules share (:mod:`.text`),
tokens with offsets and word segmentation (:mod:`.analysis`, :mod:`.crf`),
and the spelling rules (:mod:`.spelling`). Nothing here imports from the rest
of vnsearch.
"""
