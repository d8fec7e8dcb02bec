"""Trained weights shipped with the package, as presets of zoo entries.

A preset is a pair of files in `zoo/presets/`: `<model>-<preset>.weights.h5`
(the weights) and `<model>-<preset>.json` (the model options they need, the
task they were trained on, the command and commit that made them, and their
evaluation). `zoo.get("ntm", preset="copy")` builds the entry with those
options and loads the weights.
"""

import pathlib

from ntm_keras import validation
from zoo.training import run_files

PRESET_DIR = pathlib.Path(__file__).parent / "presets"


def _paths(name, preset):
    base = PRESET_DIR / f"{name}-{preset}"
    return base.with_suffix(".weights.h5"), base.with_suffix(".json")


def list_presets(name):
    """Returns the sorted preset names of the zoo entry `name`."""
    prefix = f"{name}-"
    return sorted(
        path.name[len(prefix) : -len(".weights.h5")]
        for path in PRESET_DIR.glob(f"{name}-*.weights.h5")
        if "-" not in path.name[len(prefix) : -len(".weights.h5")]
    )


def preset_info(name, preset):
    """Returns the metadata of a preset; raises `ValueError` if unknown."""
    available = list_presets(name)
    if preset not in available:
        raise ValueError(
            f"Unknown preset {preset!r} for model {name!r}; available "
            f"presets are {available}."
            f"{validation.did_you_mean(preset, available)}"
        )
    return run_files.read_json(_paths(name, preset)[1])


def load_preset(model, name, preset):
    """Loads a preset's weights into `model`, built with its options."""
    weights, _ = _paths(name, preset)
    preset_info(name, preset)
    try:
        model.load_weights(weights)
    except ValueError as error:
        raise ValueError(
            f"Preset {preset!r} of model {name!r} does not fit this model "
            f"(were its options overridden?): {error}"
        ) from None
    return model


def save_preset(model, name, preset, metadata):
    """Writes a model's weights and metadata as preset `preset` of `name`.

    Args:
        model: the trained `keras.Model`.
        name: str. The zoo entry it was built from.
        preset: str. Lowercase letters, digits and underscores, e.g. the
            task's name.
        metadata: dict. Must hold `overrides`: the model options that
            differ from the entry's defaults.

    Returns:
        pathlib.Path of the weights file.
    """
    if not preset.replace("_", "").isalnum() or preset.lower() != preset:
        raise ValueError(
            f"Invalid `preset`: received {preset!r}; expected lowercase "
            "letters, digits and underscores, e.g. 'copy'."
        )
    weights, info = _paths(name, preset)
    PRESET_DIR.mkdir(exist_ok=True)
    temporary = weights.with_name(f"partial-{weights.name}")
    model.save_weights(temporary)
    temporary.replace(weights)
    run_files.write_json(info, metadata)
    return weights
