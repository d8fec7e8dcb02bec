"""The attention images `AttentionMapLogger` writes to TensorBoard."""

import matplotlib
import numpy as np
import pytest

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


def test_heads_image_marks_segment_boundaries_by_hand():
    # Two heads, 5 steps in segments of 2: boundaries before steps 2 and 4.
    weights = np.zeros((2, 5, 5))
    weights[0, 2, 2] = 1.0  # head 0, first step of the second segment
    weights[1, 4, 4] = 1.0  # head 1, the one step of the third segment
    image = heads_image(weights, scale=2, segment_length=2)
    # 5 steps x 2 pixels and 2 marks of 1 pixel (scale < 8) down; two
    # heads of 12 pixels and a gap of 2 across.
    assert image.shape == (12, 26, 3)
    red = np.array([255, 0, 0], np.uint8)
    for head_start in (0, 14):
        for line in (4, 9):  # after 2 steps (4 px), then a mark and 2 more
            np.testing.assert_array_equal(image[line, head_start], red)
            np.testing.assert_array_equal(image[0, head_start + line], red)
    np.testing.assert_array_equal(image[:, 12:14], np.full((12, 2, 3), 255))
    yellow = np.round(255 * np.asarray(matplotlib.colormaps["viridis"](1.0)))
    # Head 0's step 2 sits after one mark: pixels 5-6 down and across.
    np.testing.assert_array_equal(
        image[5:7, 5:7],
        np.broadcast_to(yellow[:3].astype(np.uint8), (2, 2, 3)),
    )
    # Head 1's step 4 sits after two marks: pixels 10-11, from column 14.
    np.testing.assert_array_equal(
        image[10:12, 14 + 10 : 14 + 12],
        np.broadcast_to(yellow[:3].astype(np.uint8), (2, 2, 3)),
    )
    # Without segments the same weights give the unmarked image.
    assert heads_image(weights, scale=2).shape == (10, 22, 3)


def test_heads_image_refuses_a_bad_segment_length():
    with pytest.raises(ValueError, match="segment_length.*0"):
        heads_image(np.zeros((1, 2, 2)), segment_length=0)
