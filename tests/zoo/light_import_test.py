"""Building a zoo model loads no task, data set, keras-hub or plotting code."""

import subprocess
import sys

from testing import REPOSITORY, clean_environment

# Keras imports matplotlib itself when it is installed (for its optional
# image gallery), and carries on without it; blocking it shows that the zoo
# needs none.
_SCRIPT = """
import sys

class Block:
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("blocked: " + name)

sys.meta_path.insert(0, Block())
import zoo
zoo.get("ntm_tiny")
heavy = ("tensorflow_datasets", "keras_hub", "matplotlib", "tasks")
print(sorted(m for m in heavy if m in sys.modules))
print(sorted(m for m in sys.modules if m.startswith("zoo.training.")))
"""


def test_building_a_model_imports_no_heavy_module():
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=REPOSITORY,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    heavy, training = result.stdout.strip().splitlines()[-2:]
    assert heavy == "[]"
    assert "loop" not in training and "callbacks" not in training


def test_training_helpers_stay_reachable_through_zoo():
    import zoo

    assert callable(zoo.callbacks)
    assert callable(zoo.training.train)
    assert zoo.training.TRAINING_DEFAULTS["epochs"] == 10
