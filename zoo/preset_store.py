"""Trained weights as presets of zoo entries: shipped ones and the user's.

A preset is a pair of files: `<model>-<preset>.weights.h5` (the weights) and
`<model>-<preset>.json` (the model options they need, the task they were
trained on, the command and commit that made them, and their evaluation).
`zoo.get("ntm", preset="copy")` builds the entry with those options and
loads the weights.

Presets live in two places:

- shipped with the package, in `zoo/presets/` (`PRESET_DIR`), read-only for
  users;
- the user's own, exported with `ntm-keras preset RUN NAME`, in
  `$NTM_KERAS_PRESETS` or, when that is unset, `~/.ntm_keras/presets`
  (`user_preset_dir`).

`zoo.presets(name)` and `zoo.get(name, preset=...)` find both. A shipped
preset always wins: a user preset of the same name is never saved, and one
put there by hand is ignored with a warning. Saving to a name that exists
is refused unless `overwrite=True` (`--overwrite`).
"""

import os
import pathlib
import warnings

from ntm_keras import validation
from zoo.training import run_files

PRESET_DIR = pathlib.Path(__file__).parent / "presets"
ENVIRONMENT_VARIABLE = "NTM_KERAS_PRESETS"
DEFAULT_USER_PRESET_DIR = "~/.ntm_keras/presets"


def user_preset_dir():
    """The user's preset directory: `$NTM_KERAS_PRESETS` or the default."""
    chosen = os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_USER_PRESET_DIR
    return pathlib.Path(chosen).expanduser()


def _paths(directory, name, preset):
    base = pathlib.Path(directory) / f"{name}-{preset}"
    return base.with_suffix(".weights.h5"), base.with_suffix(".json")


def _names_in(directory, name):
    prefix = f"{name}-"
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        return set()
    found = set()
    for path in directory.glob(f"{name}-*.weights.h5"):
        preset = path.name[len(prefix) : -len(".weights.h5")]
        if "-" not in preset and _paths(directory, name, preset)[1].exists():
            found.add(preset)
    return found


def list_presets(name):
    """Returns the sorted preset names of `name`, shipped and the user's."""
    return sorted(
        _names_in(PRESET_DIR, name) | _names_in(user_preset_dir(), name)
    )


def _locate(name, preset):
    """The directory that holds `preset` of `name`; shipped ones first."""
    if preset in _names_in(PRESET_DIR, name):
        if preset in _names_in(user_preset_dir(), name):
            warnings.warn(
                f"Ignoring the user preset {preset!r} of model {name!r} in "
                f"{user_preset_dir()}: a shipped preset has that name. "
                "Rename the user's files to use them.",
                stacklevel=3,
            )
        return PRESET_DIR
    if preset in _names_in(user_preset_dir(), name):
        return user_preset_dir()
    available = list_presets(name)
    raise ValueError(
        f"Unknown preset {preset!r} for model {name!r}; available "
        f"presets are {available}."
        f"{validation.did_you_mean(preset, available)}"
    )


def preset_info(name, preset):
    """Returns the metadata of a preset; raises `ValueError` if unknown."""
    return run_files.read_json(_paths(_locate(name, preset), name, preset)[1])


def load_preset(model, name, preset):
    """Loads a preset's weights into `model`, built with its options."""
    weights, _ = _paths(_locate(name, preset), name, preset)
    try:
        model.load_weights(weights)
    except ValueError as error:
        raise ValueError(
            f"Preset {preset!r} of model {name!r} does not fit this model "
            f"(were its options overridden?): {error}"
        ) from None
    return model


def check_preset_target(name, preset, *, directory=None, overwrite=False):
    """Checks where `save_preset` would write, before any work.

    Returns:
        The `(weights, metadata)` paths.

    Raises:
        ValueError: for a bad name, a name a shipped preset has, an existing
            preset without `overwrite`, or a directory that cannot be
            written.
    """
    if (
        not isinstance(preset, str)
        or not preset.replace("_", "").isalnum()
        or preset.lower() != preset
    ):
        raise ValueError(
            f"Invalid `preset`: received {preset!r}; expected lowercase "
            "letters, digits and underscores, e.g. 'copy'."
        )
    directory = pathlib.Path(directory or user_preset_dir()).expanduser()
    shipped_dir = directory.resolve() == PRESET_DIR.resolve()
    if not shipped_dir and preset in _names_in(PRESET_DIR, name):
        raise ValueError(
            f"Invalid `preset`: received {preset!r}, but model {name!r} "
            f"ships a preset of that name, which would hide yours; expected "
            "another name, e.g. 'my_copy'."
        )
    paths = _paths(directory, name, preset)
    if not overwrite and any(path.exists() for path in paths):
        raise ValueError(
            f"Invalid `preset`: received {preset!r}, but {paths[0]} exists; "
            "expected a new name, or --overwrite (overwrite=True) to "
            "replace it."
        )
    run_files.check_writable_directory("out", directory)
    return paths


def save_preset(
    model, name, preset, metadata, *, directory=None, overwrite=False
):
    """Writes a model's weights and metadata as preset `preset` of `name`.

    Args:
        model: the trained `keras.Model`.
        name: str. The zoo entry it was built from.
        preset: str. Lowercase letters, digits and underscores, e.g. the
            task's name.
        metadata: dict. Must hold `overrides`: the model options that
            differ from the entry's defaults.
        directory: optional path. Where to write; defaults to
            `user_preset_dir()`. The package's `zoo/presets` only when
            named here (to ship a preset).
        overwrite: bool. Replace an existing preset of that name. Defaults
            to `False`.

    Returns:
        pathlib.Path of the weights file.
    """
    weights, info = check_preset_target(
        name, preset, directory=directory, overwrite=overwrite
    )
    weights.parent.mkdir(parents=True, exist_ok=True)
    temporary = weights.with_name(f"partial-{weights.name}")
    model.save_weights(temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    temporary.replace(weights)
    run_files.write_json(info, metadata)
    return weights
