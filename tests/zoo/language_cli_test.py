"""`ntm-keras train`, `sample` and `translate` on the language tasks."""

import json

import pytest

from testing import (
    SHARED_DATA,
    event_tags,
    run_main,
    spa_eng_data_dir,
)


def _only_run(log_dir):
    (run_dir,) = [path for path in log_dir.iterdir() if path.is_dir()]
    return run_dir


@pytest.fixture(scope="module")
def translation_run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("runs")
    cache_dir = tmp_path_factory.mktemp("vocabularies")
    data_dir = spa_eng_data_dir(tmp_path_factory.mktemp("data"))
    result = run_main(
        "train",
        "transformer_tiny",
        "--task",
        "spa_eng",
        "--data-dir",
        data_dir,
        "--set",
        f"cache_dir={cache_dir}",
        "--set",
        "vocabulary_size=1000",
        "--set",
        "sequence_length=8",
        "--steps-per-epoch",
        3,
        "--epochs",
        1,
        "--batch-size",
        8,
        "--log-dir",
        log_dir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return _only_run(log_dir), data_dir


def test_translation_run_logs_bleu_samples_and_attention_maps(translation_run):
    translation_run, data_dir = translation_run
    validation = event_tags(translation_run / "logs" / "validation")
    assert {"epoch_loss", "epoch_perplexity", "epoch_bleu"} <= validation
    inspection = event_tags(translation_run / "logs" / "inspection")
    assert inspection == {
        "samples/translations",
        "attention/encoder_block_0/self_attention",
        "attention/decoder_block_0/self_attention",
        "attention/decoder_block_0/cross_attention",
    }
    config = json.loads((translation_run / "config.json").read_text())
    assert config["compile"]["label_smoothing"] == 0.1
    assert config["compile"]["warmup_steps"] == 100
    assert config["task"]["options"]["data_dir"] == str(data_dir.resolve())


def test_translate_prints_greedy_and_beam_search(translation_run):
    translation_run, _ = translation_run
    result = run_main(
        "translate",
        translation_run,
        "I see.",
        "Good night.",
        "--beam-width",
        2,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "I see."
    assert lines[1].lstrip().startswith("greedy:")
    assert lines[2].lstrip().startswith("beam search 2:")
    assert lines[3] == "Good night."


def test_translate_bleu_scores_a_split_and_writes_it(translation_run):
    translation_run, _ = translation_run
    result = run_main(
        "translate", translation_run, "--bleu", "--split", "validation"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("BLEU on 5 validation pairs (beam width 4)")
    written = json.loads(
        (translation_run / "eval" / "bleu-validation-beam4.json").read_text()
    )
    assert written["num_pairs"] == 5 and len(written["rows"]) == 5


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("translate", "{run}"), "needs English sentences"),
        (("sample", "{run}", "--prompt", "I"), "not a language-modelling"),
        (("translate", "/nonexistent-run", "Hi."), "config.json"),
    ],
)
def test_bad_commands_fail_clearly(translation_run, arguments, message):
    arguments = [a.format(run=translation_run[0]) for a in arguments]
    result = run_main(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_fails_clearly_and_writes_nothing(tmp_path):
    result = run_main(
        "train",
        "transformer_tiny",
        "--task",
        "spa_eng",
        "--data-dir",
        tmp_path / "nothing",
        "--log-dir",
        tmp_path / "runs",
    )
    assert result.returncode == 2
    assert "spa-eng/spa.txt" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def language_model_run(tmp_path_factory):
    if not (SHARED_DATA / "tiny_shakespeare" / "input.txt").exists():
        pytest.skip(f"{SHARED_DATA}/tiny_shakespeare/input.txt is missing")
    log_dir = tmp_path_factory.mktemp("runs")
    tfds_dir = tmp_path_factory.mktemp("tfds")
    result = run_main(
        "train",
        "transformer_lm_tiny",
        "--task",
        "tiny_shakespeare",
        "--data-dir",
        SHARED_DATA,
        "--set",
        f"tfds_dir={tfds_dir}",
        "--set",
        "context_length=16",
        "--set",
        "eval_size=64",
        "--steps-per-epoch",
        3,
        "--epochs",
        1,
        "--batch-size",
        8,
        "--log-dir",
        log_dir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return _only_run(log_dir)


def test_language_model_run_logs_perplexity_text_and_attention(
    language_model_run,
):
    logs = language_model_run / "logs"
    assert "epoch_perplexity" in event_tags(logs / "train")
    assert event_tags(logs / "inspection") == {
        "samples/text",
        "attention/decoder_block_0/self_attention",
    }


def test_sample_continues_the_prompt(language_model_run):
    result = run_main(
        "sample",
        language_model_run,
        "--prompt",
        "ROMEO:",
        "--length",
        40,
        "--top-k",
        5,
        "--seed",
        1,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ROMEO:")
    assert len(result.stdout.rstrip("\n")) >= 46 - 2  # sampled newlines


def test_sample_rejects_characters_outside_the_vocabulary(language_model_run):
    result = run_main("sample", language_model_run, "--prompt", "ROMEO@")
    assert result.returncode == 2
    assert "Invalid `prompt`" in result.stderr and "'@'" in result.stderr


def test_language_model_run_resumes(language_model_run):
    result = run_main("train", "--resume", language_model_run, "--epochs", 2)
    assert result.returncode == 0, result.stderr[-3000:]
    last = json.loads(
        (language_model_run / "checkpoints" / "last.json").read_text()
    )
    assert last["epoch"] == 2
