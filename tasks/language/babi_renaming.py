"""Renaming bAbI's people, places and objects at random, story by story.

bAbI's answers depend on which person went where, never on the names
themselves: a story whose Mary and Sandra trade names, and whose kitchen
and garden trade names, asks the same questions with the answers renamed
the same way. Drawing such a renaming for every training example gives a
model new stories instead of the 9,000 it could learn by heart, and takes
away the reward of memorising which place follows which story.

Names are only exchanged within one class (`ENTITY_CLASSES`): women's
names among themselves and men's among themselves, so that the pronouns
of tasks 11 and 13 still agree with the person they stand for; places
among places; objects among objects. Only the names that occur in the
training stories of the chosen tasks are exchanged, so a model trained on
task 1 sees task 1's four people and six places, in new roles.

Legend: B = batch size, V = vocabulary size.
"""

import numpy as np
import tensorflow as tf

ENTITY_CLASSES = {
    "women": (
        "emily",
        "gertrude",
        "jessica",
        "julie",
        "lily",
        "mary",
        "sandra",
        "winona",
    ),
    "men": (
        "antoine",
        "bernhard",
        "bill",
        "brian",
        "daniel",
        "fred",
        "greg",
        "jason",
        "jeff",
        "john",
        "julius",
        "sumit",
        "yann",
    ),
    "places": (
        "bathroom",
        "bedroom",
        "cinema",
        "garden",
        "hallway",
        "kitchen",
        "office",
        "park",
        "school",
    ),
    "objects": ("apple", "football", "milk"),
}


def entity_groups(ids, words_present):
    """The ids that may trade names, one int32 array per entity class.

    Args:
        ids: `{word: id}` of the vocabulary.
        words_present: set of the words of the stories to rename.

    Returns:
        A list of int32 arrays, each with at least two ids (a class with
        fewer has nothing to exchange and is left out).
    """
    groups = []
    for words in ENTITY_CLASSES.values():
        group = [ids[w] for w in words if w in ids and w in words_present]
        if len(group) >= 2:
            groups.append(np.array(sorted(group), np.int32))
    return groups


def renaming_table(groups, vocabulary_size, batch_size, seed):
    """One random renaming of every group per example.

    Args:
        groups: list of int32 arrays from `entity_groups`.
        vocabulary_size: int, V.
        batch_size: int, B.
        seed: `(2,)` seed for the stateless draws.

    Returns:
        `(B, V)` int32: row b maps each id to its new id in example b; ids
        outside the groups map to themselves. Apply it to ids with
        `tf.gather(table, ids, batch_dims=1)`.
    """
    table = tf.tile(
        tf.range(vocabulary_size, dtype=tf.int32)[None, :], [batch_size, 1]
    )  # (B, V)
    rows = tf.range(batch_size, dtype=tf.int32)[:, None]  # (B, 1)
    for index, group in enumerate(groups):
        keys = tf.random.stateless_uniform(
            [batch_size, len(group)],
            tf.random.experimental.stateless_fold_in(seed, index),
        )  # (B, k)
        new_ids = tf.gather(group, tf.argsort(keys, axis=1))  # (B, k)
        positions = tf.stack(
            [
                tf.broadcast_to(rows, [batch_size, len(group)]),
                tf.broadcast_to(group[None, :], [batch_size, len(group)]),
            ],
            axis=-1,
        )  # (B, k, 2)
        table = tf.tensor_scatter_nd_update(table, positions, new_ids)
    return table
