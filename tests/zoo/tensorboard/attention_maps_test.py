"""The attention images `AttentionMapLogger` writes to TensorBoard."""

import matplotlib
import numpy as np

from zoo.tensorboard.attention_maps import heads_image


def test_heads_image_places_each_head_and_weight_by_hand():
    weights = np.zeros((2, 3, 4))
    weights[0, 1, 2] = 1.0  # head 0, query 1, key 2
    weights[1, 2, 0] = 0.5  # head 1, query 2, key 0
    image = heads_image(weights, scale=2)
    # 3 queries x 2 pixels; 2 heads of 4 keys and one gap column, x 2.
    assert image.shape == (6, 18, 3) and image.dtype == np.uint8
    viridis = matplotlib.colormaps["viridis"]

    def colour(value):
        return np.round(255 * np.asarray(viridis(value))[:3]).astype(np.uint8)

    np.testing.assert_array_equal(
        image[2:4, 4:6], np.full((2, 2, 3), colour(1.0))
    )
    np.testing.assert_array_equal(image[0, 0], colour(0.0))
    # The white gap between the heads, then head 1 from column 10.
    np.testing.assert_array_equal(image[:, 8:10], np.full((6, 2, 3), 255))
    np.testing.assert_array_equal(image[4, 10], colour(0.5))
    np.testing.assert_array_equal(image[4, 12], colour(0.0))


def test_heads_image_scales_the_longer_axis_to_about_256_pixels():
    image = heads_image(np.full((4, 64, 64), 1 / 64))
    assert image.shape == (256, 4 * 65 * 4 - 4, 3)
