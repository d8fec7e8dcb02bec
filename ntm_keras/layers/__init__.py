"""Attention and Transformer layers, written with `keras.ops` only."""

from ntm_keras.layers.feed_forward import FeedForward
from ntm_keras.layers.memory_augmented_transformer_block import (
    MemoryAugmentedTransformerBlock,
)
from ntm_keras.layers.multi_head_attention import MultiHeadAttention
from ntm_keras.layers.scaled_dot_product_attention import (
    scaled_dot_product_attention,
)
from ntm_keras.layers.segment_recurrent_stack import SegmentRecurrentStack
from ntm_keras.layers.sinusoidal_position_encoding import (
    SinusoidalPositionEncoding,
    sinusoidal_position_encoding,
)
from ntm_keras.layers.token_embedding import TokenEmbedding
from ntm_keras.layers.transformer_decoder_block import TransformerDecoderBlock
from ntm_keras.layers.transformer_encoder_block import TransformerEncoderBlock

__all__ = [
    "FeedForward",
    "MemoryAugmentedTransformerBlock",
    "MultiHeadAttention",
    "SegmentRecurrentStack",
    "SinusoidalPositionEncoding",
    "TokenEmbedding",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "scaled_dot_product_attention",
    "sinusoidal_position_encoding",
]
