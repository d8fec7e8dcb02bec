"""The model families, one module per factory; importing registers them.

`lstm` (the NTM paper's baseline), `ntm` (Neural Turing Machine),
`transformer` (encoder-decoder) and `transformer_lm` (decoder-only) build
their models with `sequence_io` (bits or tokens in and out) and, for the
Transformers, `transformer_parts`.
"""

from zoo.models import lstm, ntm, transformer, transformer_lm  # noqa: F401
