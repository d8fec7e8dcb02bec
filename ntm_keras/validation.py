"""Argument checks shared by the layers, the zoo and the tasks.

Every check raises `TypeError` or `ValueError` with a message that names the
argument, the value received and what is expected, so a user can fix the call
without reading the source.
"""

import difflib
import inspect
import math
import numbers


def did_you_mean(value, choices):
    """Returns ' Did you mean ...?' for close matches of `value`, or ''."""
    matches = difflib.get_close_matches(str(value), [str(c) for c in choices])
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


def check_choice(argument, value, choices):
    """Raises `ValueError` unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"Invalid `{argument}`: received {value!r}; expected one of "
            f"{sorted(choices)}.{did_you_mean(value, choices)}"
        )
    return value


def check_int(argument, value, *, minimum=None, maximum=None):
    """Raises unless `value` is an int in [minimum, maximum]; returns it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Invalid `{argument}`: received {value!r} of type "
            f"{type(value).__name__}; expected an int."
        )
    _check_range(argument, value, minimum, maximum)
    return int(value)


def check_positive_int(argument, value):
    """Raises unless `value` is an int >= 1; returns it."""
    return check_int(argument, value, minimum=1)


def check_positive_ints(**values):
    """`check_positive_int` for each `argument=value`, in order."""
    for argument, value in values.items():
        check_positive_int(argument, value)


def check_bool(argument, value):
    """Raises `TypeError` unless `value` is True or False; returns it."""
    if not isinstance(value, bool):
        raise TypeError(
            f"Invalid `{argument}`: received {value!r} of type "
            f"{type(value).__name__}; expected True or False."
        )
    return value


def check_float(argument, value, *, minimum=None, maximum=None):
    """Raises unless `value` is a finite real number in [minimum, maximum].

    NaN and the infinities are rejected: no option of this project means
    anything with them, and a NaN passes every comparison unnoticed.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Invalid `{argument}`: received {value!r} of type "
            f"{type(value).__name__}; expected a number."
        )
    if not math.isfinite(value):
        raise ValueError(
            f"Invalid `{argument}`: received {value!r}; expected a finite "
            "number (not NaN or infinite)."
        )
    _check_range(argument, value, minimum, maximum)
    return float(value)


def _check_range(argument, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ValueError(
            f"Invalid `{argument}`: received {value!r}; expected a value "
            f">= {minimum}."
        )
    if maximum is not None and value > maximum:
        raise ValueError(
            f"Invalid `{argument}`: received {value!r}; expected a value "
            f"<= {maximum}."
        )


def keyword_defaults(function):
    """Returns `{name: default}` for the keyword arguments of `function`."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind
        in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and parameter.default is not parameter.empty
    }


def parse_value(argument, text, like):
    """Parses the command-line string `text` into the type of `like`.

    Args:
        argument: str. The option's name, for error messages.
        text: str. The value as typed, e.g. `"128"`, `"true"`, `"0.5"`.
        like: the option's default, whose type the value takes.

    Returns:
        The parsed value.
    """
    if not isinstance(text, str):
        return text
    try:
        if isinstance(like, bool):
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(like, int):
            return int(text)
        if isinstance(like, float):
            return float(text)
        if isinstance(like, (tuple, list)):
            return tuple(int(part) for part in text.split(",") if part)
    except ValueError:
        raise ValueError(
            f"Invalid `{argument}`: received {text!r}; expected a value of "
            f"type {type(like).__name__} (default {like!r})."
        ) from None
    if like is None:
        return _parse_untyped(text)
    return text


def _parse_untyped(text):
    """Parses a value for an option whose default (`None`) has no type.

    `"none"` is `None`, an integer or a decimal number is one, and
    anything else stays the text.
    """
    if text.strip().lower() == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def check_overrides(owner, overrides, defaults):
    """Checks override names and types against a factory's defaults.

    Args:
        owner: str. What is being configured, for error messages
            (e.g. `"model 'lstm'"`).
        overrides: dict. The user's `{name: value}`; string values are parsed
            into the default's type.
        defaults: dict. The valid `{name: default}`.

    Returns:
        dict. The overrides with parsed values.
    """
    parsed = {}
    for name, value in overrides.items():
        if name not in defaults:
            raise ValueError(
                f"Unknown option {name!r} for {owner}; valid options are "
                f"{sorted(defaults)}.{did_you_mean(name, defaults)}"
            )
        like = defaults[name]
        value = parse_value(name, value, like)
        if like is not None and not _same_kind(value, like):
            raise TypeError(
                f"Invalid `{name}` for {owner}: received {value!r} of type "
                f"{type(value).__name__}; expected {type(like).__name__} "
                f"(default {like!r})."
            )
        if isinstance(like, float) and not math.isfinite(value):
            raise ValueError(
                f"Invalid `{name}` for {owner}: received {value!r}; "
                "expected a finite number (not NaN or infinite)."
            )
        parsed[name] = value
    return parsed


def _same_kind(value, like):
    if isinstance(like, bool):
        return isinstance(value, bool)
    if isinstance(like, int):
        return isinstance(value, numbers.Integral) and not isinstance(
            value, bool
        )
    if isinstance(like, float):
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if isinstance(like, (tuple, list)):
        return isinstance(value, (tuple, list))
    return isinstance(value, type(like))


def rename_config_key(config, old, new):
    """Returns a copy of a layer config with the key `old` renamed to `new`.

    For `from_config` of layers whose argument was renamed, so that `.keras`
    files saved before the rename still load.
    """
    config = dict(config)
    if old in config:
        config[new] = config.pop(old)
    return config
