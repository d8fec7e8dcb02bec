"""The model families, one module per factory; importing registers them.

`lstm` (the NTM paper's baseline), `ntm` (Neural Turing Machine), `dnc`
(Differentiable Neural Computer), `transformer` (encoder-decoder),
`transformer_lm` (decoder-only) and `ntm_transformer` (a Transformer that
reads and writes an NTM memory, segment by segment) build
their models with `sequence_io` (bits or tokens in and out) and, for the
Transformers, `transformer_parts`.
"""

from zoo.models import (  # noqa: F401
    dnc,
    lstm,
    ntm,
    ntm_transformer,
    transformer,
    transformer_lm,
)
