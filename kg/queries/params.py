"""A named query's parameter: its kind, default and help, and how a value of that kind is read
(strings from the CLI or HTTP converted). Its own module so that :mod:`kg.queries.filters` and
:mod:`kg.queries.base` both import it without importing each other.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from kg.errors import QueryError

__all__ = ["KINDS", "Param"]

KINDS = ("str", "int", "float", "bool", "entity", "date", "round", "amount", "choice")
_SPLIT = re.compile(r"[,，、;；|]")


@dataclass(frozen=True)
class Param:
    """One parameter: name, kind (see :data:`KINDS`), default and a line of help.

    ``labels`` (for ``entity``) are the node labels it may name; ``choices`` (for ``choice``)
    the allowed values; ``lo``/``hi`` bound ints.
    """

    name: str
    kind: str = "str"
    default: Any = None
    help: str = ""
    required: bool = False
    labels: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    lo: int | None = None
    hi: int | None = None

    def coerce(self, value):
        """The value as the query wants it (strings from the CLI or HTTP are converted)."""
        from loaders.parse import FieldError, parse_amount, parse_date

        name, k = self.name, self.kind
        if k == "bool":
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in ("1", "true", "yes", "y", "on", "是"):
                return True
            if s in ("0", "false", "no", "n", "off", "否", ""):
                return False
            raise QueryError(f"{name}: expected true or false, got {value!r}")
        if k == "int":
            try:
                v = int(value) if not isinstance(value, float) or value.is_integer() else None
                if v is None or isinstance(value, bool):
                    raise ValueError
            except (TypeError, ValueError):
                raise QueryError(f"{name}: expected a whole number, got {value!r}") from None
            if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
                raise QueryError(f"{name}: must be between {self.lo} and {self.hi}, got {v}")
            return v
        if k == "float":
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise QueryError(f"{name}: expected a number, got {value!r}") from None
            if not math.isfinite(v):
                raise QueryError(f"{name}: expected a finite number, got {value!r}")
            return v
        if k == "amount":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                v = float(value)
            else:
                try:
                    a = parse_amount(str(value))
                except FieldError as exc:
                    raise QueryError(f"{name}: {exc}") from None
                if a is None:
                    raise QueryError(f"{name}: expected an amount in CNY yuan, got {value!r}")
                from ontology import load

                v = load().to_cny(a.value, a.currency) if a.currency != "CNY" else float(a.value)
                if v is None:
                    raise QueryError(f"{name}: cannot convert {value!r} to CNY")
            if not math.isfinite(v) or v < 0:
                raise QueryError(f"{name}: expected a non-negative amount, got {value!r}")
            return v
        if k == "date":
            try:
                v = parse_date(str(value))
            except FieldError as exc:
                raise QueryError(f"{name}: {exc}") from None
            if v is None:
                raise QueryError(f"{name}: expected a date like 2019, 2019-09 or 2019-09-18, got {value!r}")
            return v
        if k == "round":
            items = value if isinstance(value, (list, tuple)) else _SPLIT.split(str(value))
            items = [str(x).strip() for x in items if str(x).strip()]
            if not items:
                raise QueryError(f"{name}: expected a round type or label, got {value!r}")
            return items
        if k == "choice":
            s = str(value).strip().lower()
            if s not in self.choices:
                raise QueryError(f"{name}: expected one of {', '.join(self.choices)}, got {value!r}")
            return s
        s = str(value).strip()
        if not s:
            raise QueryError(f"{name}: empty value")
        return s
