from django.db import models


class ScoreScale(models.TextChoices):
    """How a rubric item is scored: 1–5 stars or 0–10 points."""

    FIVE = "five", "1–5 分"
    TEN = "ten", "0–10 分"


SCALE_RANGE: dict[str, tuple[int, int]] = {ScoreScale.FIVE: (1, 5), ScoreScale.TEN: (0, 10)}
