"""What a sequence model reads and writes, as the tasks and the zoo name it.

`MODALITIES`: `"bits"` (float vectors per step, sigmoid outputs per bit) or
`"tokens"` (integer ids per step, logits over a vocabulary).
`STRUCTURES`: `"sequence"` (one input sequence, one output per step) or
`"sequence_to_sequence"` (a source and a target sequence, as in
translation).
"""

MODALITIES = ("bits", "tokens")
STRUCTURES = ("sequence", "sequence_to_sequence")
