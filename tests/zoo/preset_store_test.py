"""Where presets go: the user's directory, never over a shipped one."""

import numpy as np
import pytest

import zoo
from zoo import preset_store


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """A shipped directory with `lstm_tiny-copy`, and an empty user one."""
    shipped = tmp_path / "shipped"
    user = tmp_path / "user"
    monkeypatch.setattr(preset_store, "PRESET_DIR", shipped)
    monkeypatch.setenv(preset_store.ENVIRONMENT_VARIABLE, str(user))
    model = zoo.get("lstm_tiny", units=4)
    preset_store.save_preset(
        model,
        "lstm_tiny",
        "copy",
        {"overrides": {"units": 4}},
        directory=shipped,
    )
    return shipped, user, model


def _files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_user_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(preset_store.ENVIRONMENT_VARIABLE, str(tmp_path))
    assert preset_store.user_preset_dir() == tmp_path
    monkeypatch.delenv(preset_store.ENVIRONMENT_VARIABLE)
    assert str(preset_store.user_preset_dir()).endswith(".ntm_keras/presets")


def test_a_user_preset_is_written_to_the_user_directory_and_found(dirs):
    shipped, user, model = dirs
    before = _files(shipped)
    path = preset_store.save_preset(
        model, "lstm_tiny", "mine", {"overrides": {"units": 4}}
    )
    assert path == user / "lstm_tiny-mine.weights.h5"
    assert _files(shipped) == before
    assert zoo.presets("lstm_tiny") == ["copy", "mine"]
    loaded = zoo.get("lstm_tiny", preset="mine")
    inputs = np.random.default_rng(0).random((2, 3, 9)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_a_shipped_name_is_refused_and_the_shipped_files_kept(dirs):
    shipped, user, model = dirs
    before = _files(shipped)
    with pytest.raises(ValueError, match="ships a preset of that name"):
        preset_store.save_preset(
            model, "lstm_tiny", "copy", {"overrides": {}}, overwrite=True
        )
    assert _files(shipped) == before
    assert not user.exists() or not list(user.iterdir())


def test_an_existing_name_needs_overwrite(dirs):
    _, user, model = dirs
    preset_store.save_preset(model, "lstm_tiny", "mine", {"overrides": {}})
    first = _files(user)
    with pytest.raises(ValueError, match="exists; expected a new name"):
        preset_store.save_preset(model, "lstm_tiny", "mine", {"overrides": {}})
    assert _files(user) == first
    preset_store.save_preset(
        model, "lstm_tiny", "mine", {"overrides": {"x": 1}}, overwrite=True
    )
    assert preset_store.preset_info("lstm_tiny", "mine") == {
        "overrides": {"x": 1}
    }


def test_a_user_file_with_a_shipped_name_is_ignored_with_a_warning(dirs):
    shipped, user, _ = dirs
    user.mkdir()
    for path in shipped.iterdir():
        (user / path.name).write_bytes(path.read_bytes())
    (user / "lstm_tiny-copy.json").write_text('{"overrides": {"units": 5}}')
    with pytest.warns(UserWarning, match="a shipped preset has that name"):
        info = preset_store.preset_info("lstm_tiny", "copy")
    assert info == {"overrides": {"units": 4}}
    assert zoo.presets("lstm_tiny") == ["copy"]


def test_an_output_directory_under_a_file_is_refused(dirs, tmp_path):
    _, _, model = dirs
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="Invalid `out`.*not a directory"):
        preset_store.save_preset(
            model, "lstm_tiny", "mine", {}, directory=blocker / "presets"
        )
