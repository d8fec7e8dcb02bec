"""The associative recall task of the NTM paper.

Legend: B = batch size, T = time steps, N = number of items, V = vectors per
item, D = bits per vector.
"""

import tensorflow as tf

from ntm_keras import validation
from tasks.algorithmic.bit_task import BitTask
from tasks.registry import register
from tasks.task import TaskSpec, uniform_indices, uniform_integers


@register("associative_recall")
class AssociativeRecall(BitTask):
    """Associative recall: shown a list of items and one of them, give the next.

    The input shows `N` items, each `item_length` random `num_bits`-bit
    vectors after an item delimiter (its own channel); then the query, a copy
    of one of the first `N - 1` items between two query delimiters (a second
    channel); then nothing while the model must write the item that followed
    the query in the list. Only those `item_length` answer steps are scored.
    The model must store the items so that one can be found by its content
    and the next one by its position: content addressing followed by a
    shift. See [Graves et al. 2014](https://arxiv.org/abs/1410.5401),
    section 4.3 (items of 3 six-bit vectors, 2 to 6 items in training).

    `N` is drawn uniformly from `[max(min_items, train_min_items),
    difficulty]` for each training sequence (the difficulty is `max_items`
    unless a curriculum lowers it), from `[min_items, max_items]` for each
    test sequence, and the queried position uniformly from the first
    `N - 1`. If another item happens to equal the queried one, its first
    bit is flipped, so the answer is never ambiguous.

    One example with `N = 3` items of 2 vectors of 2 bits (channel 2 is the
    item delimiter, channel 3 the query delimiter). The query is item 1,
    `(0, 1), (0, 1)`, so the answer is item 2, `(1, 0), (1, 0)`:

    ```
    time      012345678901234
    input   0 ..#....##......
    input   1 .##.##....##...
    input   2 #..#..#........
    input   3 .........#..#..
    target  0 -------------##
    target  1 -------------..
    mask      000000000000011
    ```

    A sequence of `N` items takes `T = (item_length + 1) * (N + 1) +
    item_length + 1` steps; batches are padded with zeros to the longest,
    and padded steps have mask 0.

    Args:
        num_bits: int. Bits per vector. Defaults to `6`.
        item_length: int. Vectors per item. Defaults to `3`.
        min_items: int. Fewest items, at least 2. Defaults to `2`.
        max_items: int. Most items in training. Defaults to `6`.
        train_min_items: int or `None`. Fewest items in the `train` and
            `validation` sequences, at most `max_items`; a floor, so
            training never has fewer than `min_items` either. The test
            split keeps `min_items`. With two items the answer is
            always the item just before the query, a shortcut a model can
            learn instead of the lookup by content, so training from 3
            items takes it away. `None` means `min_items`. Defaults to
            `None`.
        generalisation_items: tuple of int. Each gives a held-out split
            `items_<N>` with exactly that many items. Defaults to
            `(7, 8, ..., 15)`.
        seed: int. Defaults to `0`.
        eval_size: int. Sequences per held-out split. Defaults to `1024`.

    Splits: `train` (endless), `validation` (the training floor, `max(
    min_items, train_min_items)`, up to the current difficulty), `test`
    (from `min_items` up to `max_items`), `items_<N>`.

    Example:

    >>> task = AssociativeRecall()
    >>> task.spec.input_dim, task.spec.output_dim
    (8, 6)
    """

    difficulty_name = "max_items"

    def __init__(
        self,
        *,
        num_bits: int = 6,
        item_length: int = 3,
        min_items: int = 2,
        max_items: int = 6,
        train_min_items: int | None = None,
        generalisation_items: tuple[int, ...] = tuple(range(7, 16)),
        seed: int = 0,
        eval_size: int = 1024,
    ):
        super().__init__(seed=seed, eval_size=eval_size)
        self.num_bits = validation.check_positive_int("num_bits", num_bits)
        self.item_length = validation.check_positive_int(
            "item_length", item_length
        )
        self.min_items, self.max_items = self.check_size_range(
            "min_items", min_items, "max_items", max_items, minimum=2
        )
        if train_min_items is None:
            train_min_items = self.min_items
        self.train_min_items = validation.check_int(
            "train_min_items", train_min_items, minimum=2, maximum=max_items
        )
        # A floor: a larger `min_items` (e.g. one set to test a trained
        # model on 12 items) raises it.
        self._train_floor = max(self.min_items, self.train_min_items)
        self.set_generalisation_sizes(
            "generalisation_items", generalisation_items, "items", minimum=2
        )
        self.spec = TaskSpec(
            modality="bits", input_dim=num_bits + 2, output_dim=num_bits
        )
        self._init_difficulty(self._train_floor, self.max_items)

    def items_range(self, split: str) -> tuple[tf.Tensor, tf.Tensor]:
        """Returns the `(fewest, most)` items of `split`, as tensors."""
        fewest = self.min_items
        if split in ("train", "validation"):
            fewest = self._train_floor
        return self.split_size_range(split, fewest, self.max_items, "items")

    def make_batch(
        self, split: str, batch_size: tf.Tensor, seed: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        count_seed, choice_seed, full_seed, query_seed, bits_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 5)
        )
        fewest, most = self.items_range(split)
        counts = self.mix_full_range(
            split,
            choice_seed,
            uniform_integers([batch_size], count_seed, fewest, most),
            lambda: uniform_integers(
                [batch_size], full_seed, self._train_floor, self.max_items
            ),
        )  # (B,)
        query = uniform_indices(query_seed, counts - 1)  # (B,)
        num_items = tf.reduce_max(counts)
        size = self.item_length  # V
        items = tf.cast(
            tf.random.stateless_uniform(
                [batch_size, num_items, size, self.num_bits], bits_seed
            )
            < 0.5,
            tf.float32,
        )  # (B, N_max, V, D)
        items = self._unique_query(items, query)
        vectors = tf.reshape(
            items, [batch_size, num_items * size, self.num_bits]
        )  # (B, N_max * V, D): vector j of item i is row i * V + j

        block = size + 1  # a delimiter and the item's vectors
        count = counts[:, None]  # (B, 1)
        queried = query[:, None]  # (B, 1)
        query_start = block * count  # (B, 1): the first query delimiter
        answer_start = query_start + block + 1  # (B, 1): first answer step
        time = block * (num_items + 1) + size + 1
        steps = tf.broadcast_to(tf.range(time)[None, :], [batch_size, time])
        phase = tf.math.floormod(steps, block)  # 0 at each item delimiter
        in_items = steps < query_start
        item_delimiter = in_items & (phase == 0)
        item_vector = in_items & (phase > 0)
        query_offset = steps - query_start - 1  # (B, T)
        query_vector = (query_offset >= 0) & (query_offset < size)
        query_delimiter = (steps == query_start) | (
            steps == query_start + block
        )
        answer_offset = steps - answer_start  # (B, T)
        answering = (answer_offset >= 0) & (answer_offset < size)

        # Input step t of item i = t // block shows vector phase - 1 of it.
        source = tf.where(
            item_vector,
            (steps // block) * size + phase - 1,
            queried * size + query_offset,
        )
        shown = tf.cast(item_vector | query_vector, tf.float32)
        last = num_items * size - 1
        shown_vectors = tf.gather(
            vectors, tf.clip_by_value(source, 0, last), batch_dims=1
        )  # (B, T, D)
        inputs = tf.concat(
            [
                shown_vectors * shown[:, :, None],
                tf.cast(item_delimiter, tf.float32)[:, :, None],
                tf.cast(query_delimiter, tf.float32)[:, :, None],
            ],
            axis=-1,
        )  # (B, T, D + 2)
        mask = tf.cast(answering, tf.float32)  # (B, T)
        answer = (queried + 1) * size + answer_offset  # (B, T)
        targets = (
            tf.gather(vectors, tf.clip_by_value(answer, 0, last), batch_dims=1)
            * mask[:, :, None]
        )  # (B, T, D)
        return inputs, targets, mask

    def _unique_query(self, items, query):
        """Flips bit 0 of any other item equal to the queried one.

        Args:
            items: `(B, N, V, D)` bits.
            query: `(B,)` index of the queried item.

        Returns:
            `(B, N, V, D)` bits in which only item `query` equals itself.
        """
        queried = tf.gather(items, query, batch_dims=1)  # (B, V, D)
        same = tf.reduce_all(
            tf.equal(items, queried[:, None]), axis=[2, 3]
        )  # (B, N)
        others = tf.range(tf.shape(items)[1])[None, :] != query[:, None]
        duplicate = tf.cast(same & others, tf.float32)  # (B, N)
        first_bit = tf.one_hot(
            0, self.item_length * self.num_bits, dtype=tf.float32
        )
        first_bit = tf.reshape(first_bit, [1, 1, self.item_length, -1])
        flip = duplicate[:, :, None, None] * first_bit  # (B, N, V, D)
        return tf.abs(items - flip)
