"""Reading the JSON files of a run, with one-line errors for what is missing or malformed."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import InputError


def read_json(path: Path, what: str):
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {what} {path}: {e}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{what} {path} is not valid JSON: {e}") from None


def check_shape(obj, fields: dict[str, type], where) -> dict:
    """obj is a JSON object whose listed fields, where present and not null, have the
    listed JSON types; returns it."""
    if not isinstance(obj, dict):
        raise InputError(f"{where} is not a JSON object")
    for key, kind in fields.items():
        if obj.get(key) is not None and not isinstance(obj[key], kind):
            raise InputError(f"{where}: '{key}' is not a JSON "
                             f"{'object' if kind is dict else 'array'}")
    return obj


def text(obj: dict, key: str, default: str = "") -> str:
    value = obj.get(key)
    return default if value is None or isinstance(value, (dict, list)) else str(value)


def number(obj: dict, key: str) -> float | None:
    """A finite number, or a string holding one (Google Benchmark's custom context)."""
    value = obj.get(key)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value):
        return float(value)
    return None


def integer(obj: dict, key: str, default: int = 0) -> int:
    value = number(obj, key)
    return default if value is None else int(value)


def flag(obj: dict, key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
