"""The credit evaluation model (公共信用综合评价): indicators and weights as configuration.

The model is a JSON file: data/model.json, or the file settings.CREDIT_MODEL names. Each indicator
counts a subject's published records matching its filter (category, and optionally `serious` and
`level`) and adds `points` per record; an indicator with `grade_cap` forces the grade at most that
(黑名单 → D whatever the score). The score starts at `start[kind]` and the grade follows the
thresholds. The same model drives the one-subject evaluation (Python, with reasons) and the
set-based evaluation of everyone (one SQL statement, services.credit_evaluate_all), and the tests
hold them to the same answers.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "model.json"
GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    category: str
    points: int
    serious: bool | None = None
    level: str | None = None
    grade_cap: str | None = None

    def matches(self, category: str, serious: bool, level: str) -> bool:
        return (category == self.category and (self.serious is None or serious == self.serious)
                and (self.level is None or level == self.level))


@dataclass(frozen=True)
class CreditModel:
    version: str
    start: dict
    thresholds: dict  # grade → minimum score, for A, B, C (D below C's)
    default_grade: str
    indicators: tuple[Indicator, ...]
    lists: dict  # list name → record category

    def grade_of(self, score: int, caps: list[str]) -> str:
        grade = "D"
        for candidate in ("A", "B", "C"):
            if score >= self.thresholds[candidate]:
                grade = candidate
                break
        for cap in caps:  # a cap only lowers the grade
            if GRADES.index(cap) > GRADES.index(grade):
                grade = cap
        return grade


def model_path() -> Path:
    return Path(getattr(settings, "CREDIT_MODEL", "") or DEFAULT_MODEL)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> CreditModel:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        indicators = tuple(
            Indicator(code=i["code"], name=i["name"], category=i["category"], points=int(i["points"]),
                      serious=i.get("serious"), level=i.get("level"), grade_cap=i.get("grade_cap"))
            for i in raw["indicators"])
        model = CreditModel(version=str(raw.get("version", "")), start=dict(raw["start"]),
                            thresholds={k: int(v) for k, v in raw["thresholds"].items()},
                            default_grade=raw.get("default_grade", "B"), indicators=indicators,
                            lists=dict(raw.get("lists", {})))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ImproperlyConfigured(f"credit model {path}: {error}") from error
    if set(model.thresholds) != {"A", "B", "C"} or not (model.thresholds["A"] > model.thresholds["B"] > model.thresholds["C"]):
        raise ImproperlyConfigured(f"credit model {path}: thresholds A > B > C are required")
    for indicator in indicators:
        if indicator.grade_cap is not None and indicator.grade_cap not in GRADES:
            raise ImproperlyConfigured(f"credit model {path}: grade_cap of {indicator.code} is not one of A-D")
    if len({i.code for i in indicators}) != len(indicators):
        raise ImproperlyConfigured(f"credit model {path}: indicator codes repeat")
    return model


def credit_model() -> CreditModel:
    """The model in force (re-read when its file changes)."""
    path = model_path()
    try:
        mtime = path.stat().st_mtime
    except OSError as error:
        raise ImproperlyConfigured(f"credit model {path}: {error}") from error
    return _load(str(path), mtime)


@dataclass(frozen=True)
class Reason:
    code: str
    name: str
    count: int
    points: int  # the contribution to the score
    grade_cap: str | None

    @property
    def text(self) -> str:
        """The reason in Chinese, as the subject and staff read it."""
        if self.grade_cap:
            return f"{self.name}{self.count}条：等级不高于{self.grade_cap}级"
        sign = "+" if self.points >= 0 else ""
        return f"{self.name}{self.count}条：{sign}{self.points}分"


@dataclass(frozen=True)
class Evaluation:
    grade: str
    score: int
    start: int
    reasons: tuple[Reason, ...]
    lists: tuple[str, ...]
    counts: dict
    model_version: str


def evaluate_counts(model: CreditModel, kind: str, counts: dict) -> Evaluation:
    """Grade and score from each indicator's count (indicator code → records counted)."""
    start = int(model.start.get(kind, 100))
    score, caps, reasons = start, [], []
    for indicator in model.indicators:
        count = int(counts.get(indicator.code, 0) or 0)
        if not count:
            continue
        points = indicator.points * count
        score += points
        if indicator.grade_cap:
            caps.append(indicator.grade_cap)
        reasons.append(Reason(indicator.code, indicator.name, count, points, indicator.grade_cap))
    lists = tuple(name for name, category in model.lists.items()
                  if any(counts.get(i.code) for i in model.indicators if i.category == category))
    return Evaluation(grade=model.grade_of(score, caps), score=score, start=start, reasons=tuple(reasons),
                      lists=lists, counts={k: int(v) for k, v in counts.items() if v},
                      model_version=model.version)


def count_records(model: CreditModel, records) -> dict:
    """Each indicator's count over records given as (category, serious, level) tuples."""
    counts: dict[str, int] = {}
    for category, serious, level in records:
        for indicator in model.indicators:
            if indicator.matches(category, bool(serious), level or ""):
                counts[indicator.code] = counts.get(indicator.code, 0) + 1
    return counts
