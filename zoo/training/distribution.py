"""Training on several devices or machines through `tf.distribute`.

`--strategy` takes three names (`STRATEGIES`):

    default       one device (TensorFlow's default strategy)
    mirrored      `tf.distribute.MirroredStrategy`: a replica on each
                  device of this machine (all its GPUs, else its CPU)
    multiworker   `tf.distribute.MultiWorkerMirroredStrategy`: replicas on
                  several machines, which `TF_CONFIG` names

The batch size of a run is the global batch: each step splits it evenly
between the replicas, and the gradients are summed across them, so a step
computes the same update as on one device. Every worker generates the same
batches (the tasks are seeded) and keeps its own share of each
(`distribute_dataset`), so the curriculum, which reads the workers'
reduced metrics, raises the difficulty on all of them at the same epoch.

Only the chief writes the run directory; the other workers run the same
callbacks into a temporary directory that is removed at the end (the Keras
multi-worker pattern: saving and evaluating read synchronised variables,
which takes every worker).

Keras compiles the whole distributed step (every replica's work and the
all-reduce) as one XLA function on one device. With more than one replica on
a machine that function cannot reach the other devices' variables
(https://www.tensorflow.org/xla/known_issues), and XLA has no collective
all-reduce on CPUs, so `usable_jit_compile` switches XLA off in both cases
and says so in one line. One GPU per worker keeps XLA (not tested here: the
project's machines have no GPU).
"""

import json
import os
import shutil
import tempfile

STRATEGIES = ("default", "mirrored", "multiworker")

# One MultiWorkerMirroredStrategy per process: TensorFlow allows no second.
_MULTI_WORKER = []


def check_strategy(strategy):
    """Returns `strategy` if it is a name from `STRATEGIES`."""
    from ntm_keras import validation

    return validation.check_choice("strategy", strategy, STRATEGIES)


def make_strategy(name, devices=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: str. One of `STRATEGIES`.
        devices: optional list of device names for `"mirrored"` (e.g.
            `["/cpu:0", "/cpu:1"]`); all GPUs, else the CPU, by default.

    Raises:
        ValueError: for an unknown name, or `"multiworker"` without a valid
            `TF_CONFIG`.
    """
    import tensorflow as tf

    check_strategy(name)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is None:
            logical = tf.config.list_logical_devices("GPU") or (
                tf.config.list_logical_devices("CPU")
            )
            devices = [device.name for device in logical]
        return tf.distribute.MirroredStrategy(devices)
    if not _MULTI_WORKER:
        check_tf_config(os.environ.get("TF_CONFIG"))
        _MULTI_WORKER.append(_multi_worker_strategy_class()())
    return _MULTI_WORKER[0]


def _multi_worker_strategy_class():
    """`MultiWorkerMirroredStrategy` whose `reduce` takes nested values.

    Keras 3's `fit` on several workers fails twice in `strategy.reduce`
    (https://github.com/keras-team/keras/issues/20585): it reduces its
    first input batch, an `(inputs, targets, sample_weight)` tuple, where
    the strategy takes one value only; and it averages every step's logs
    along `axis=0`, which scalars do not have. This subclass reduces each
    tensor of a nested structure in turn, scalars across the replicas
    only; every worker makes the same calls, so the collective reductions
    match.
    """
    import tensorflow as tf

    class NestedReduceMultiWorkerMirroredStrategy(
        tf.distribute.MultiWorkerMirroredStrategy
    ):
        def reduce(self, reduce_op, value, axis):
            parent = super()

            def one(part):
                local = self.experimental_local_results(part)
                scalar = not local or local[0].shape.rank == 0
                return parent.reduce(reduce_op, part, None if scalar else axis)

            return tf.nest.map_structure(one, value)

    return NestedReduceMultiWorkerMirroredStrategy


def check_tf_config(text):
    """Raises `ValueError` unless `text` is a `TF_CONFIG` with a cluster.

    Returns:
        dict. The parsed `TF_CONFIG`.
    """
    example = (
        'e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", '
        '"host2:12345"]}, "task": {"type": "worker", "index": 0}}\''
    )
    if not text:
        raise ValueError(
            "Invalid `strategy`: received 'multiworker' without the "
            f"TF_CONFIG environment variable; set it on every machine, "
            f"{example}."
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"Invalid TF_CONFIG: received {text!r}, which is not JSON "
            f"({error}); expected {example}."
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(
            f"Invalid TF_CONFIG: received {text!r}; expected the keys "
            f"'cluster' and 'task', {example}."
        )
    return config


def is_chief(strategy):
    """True on the worker that writes the run: the chief, or worker 0.

    Single-machine strategies have one worker, which is the chief.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    cluster = resolver.cluster_spec().as_dict()
    return (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in cluster
    )


def num_workers(strategy):
    """The number of machines the strategy spans (1 for one machine)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    cluster = resolver.cluster_spec().as_dict()
    return len(cluster.get("worker", ())) + len(cluster.get("chief", ()))


def local_replicas(strategy):
    """The replicas on this machine: the devices the strategy mirrors."""
    return strategy.num_replicas_in_sync // num_workers(strategy)


def usable_jit_compile(jit_compile, model):
    """Whether `model` can train with XLA under its distribution strategy.

    With more than one replica on this machine Keras's XLA step cannot
    reach the other devices' variables, and on CPUs XLA has no collective
    all-reduce across workers: in both cases XLA is switched off and one
    line says so; otherwise `jit_compile` is returned unchanged.

    Args:
        jit_compile: bool. The requested setting.
        model: a `keras.Model`, built under the strategy's scope.

    Returns:
        bool.
    """
    import keras

    if not jit_compile or keras.backend.backend() != "tensorflow":
        return jit_compile
    strategy = getattr(model, "distribute_strategy", None)
    if strategy is None or strategy.num_replicas_in_sync == 1:
        return jit_compile
    replicas = local_replicas(strategy)
    workers = num_workers(strategy)
    name = "MultiWorkerMirroredStrategy" if workers > 1 else "MirroredStrategy"
    if replicas > 1:
        print(
            f"XLA off: {name} has {replicas} replicas on this machine, and "
            "Keras's XLA train step cannot reach the variables of the "
            "other devices."
        )
        return False
    devices = strategy.extended.worker_devices
    on_cpu = all("CPU" in device.upper() for device in devices)
    if on_cpu:
        print(
            f"XLA off: {name} spans {workers} workers on CPUs, "
            "and XLA has no collective all-reduce on CPUs."
        )
        return False
    return jit_compile


def distribute_dataset(dataset, strategy):
    """Marks `dataset` to be split by batch among the workers.

    Every worker builds the same seeded batches; with the `DATA` policy each
    keeps its own share of every global batch, instead of tf.data trying to
    split input files that generated data do not have.
    """
    import tensorflow as tf

    if num_workers(strategy) == 1:
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options)


def worker_directory(strategy, run_dir):
    """Where this worker writes: `run_dir` on the chief, else a temporary one.

    Returns:
        `(directory, temporary)`: a `pathlib.Path` and whether it is a
        temporary directory the caller removes with `remove_temporary`.
    """
    import pathlib

    if is_chief(strategy):
        return pathlib.Path(run_dir), False
    resolver = strategy.cluster_resolver
    directory = tempfile.mkdtemp(
        prefix=f"ntm-keras-{resolver.task_type}-{resolver.task_id}-"
    )
    return pathlib.Path(directory), True


def remove_temporary(directory, temporary):
    """Removes a non-chief worker's temporary directory."""
    if temporary:
        shutil.rmtree(directory, ignore_errors=True)
