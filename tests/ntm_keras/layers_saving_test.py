"""A model with every Transformer layer survives save and load."""

import keras
import numpy as np

from ntm_keras import layers, losses, optimizers, schedules
from testing import run_saving_test


def test_model_with_every_layer_reloads_with_only_ntm_keras(tmp_path):
    # One input read by both stacks: the saving helper takes one array.
    source = target = keras.Input((None,), dtype="int32", name="ids")
    embedding = layers.TokenEmbedding(11, 8, name="embedding")
    positions = layers.SinusoidalPositionEncoding(name="positions")
    encoded = layers.TransformerEncoderBlock(2, 16, dropout=0.1, seed=1)(
        positions(embedding(source))
    )
    decoded = layers.TransformerDecoderBlock(2, 16, norm_first=True)(
        positions(embedding(target)), encoded
    )
    attended = layers.MultiHeadAttention(2, 4, output_shape=8)(decoded, encoded)
    hidden = layers.FeedForward(12)(attended)
    logits = embedding(hidden, reverse=True)
    model = keras.Model(source, logits, name="all")
    model.compile(
        optimizer=optimizers.MonitoredAdam(
            schedules.InverseSquareRootSchedule(8, warmup_steps=5)
        ),
        loss=losses.LabelSmoothedCrossEntropy(0.1),
        run_eagerly=True,  # tracing the step costs more than it checks
    )
    rng = np.random.default_rng(0)
    inputs = rng.integers(1, 11, size=(4, 6))
    model.fit(inputs, rng.integers(1, 11, size=(4, 6)), epochs=1, verbose=0)
    run_saving_test([model], inputs, tmp_path)
