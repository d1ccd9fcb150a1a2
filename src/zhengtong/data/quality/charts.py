"""The trend of a dataset's problem-data ratio as an inline SVG line chart: drawn on the server,
so it needs no JavaScript; the table next to it carries the same numbers for screen readers."""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
# The smallest top of the scale (0.1%), so a clean series does not draw a line at the very top.
MIN_SCALE = 0.001


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    ratio: float
    label: str  # the load's version or date, under the axis


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    points: tuple[Point, ...]
    scale_max: float  # the ratio at the top of the axis
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)

    @property
    def first_ratio(self) -> float:
        return self.points[0].ratio

    @property
    def last_ratio(self) -> float:
        return self.points[-1].ratio


def trend_chart(trend) -> TrendChart | None:
    """A chart of the loads' problem-data ratios (Snapshots, oldest first); None below two loads."""
    loads = [snapshot for snapshot in trend if snapshot.problem_ratio is not None]
    if len(loads) < 2:
        return None
    scale_max = max(MIN_SCALE, max(snapshot.problem_ratio for snapshot in loads))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / (len(loads) - 1)
    points = tuple(
        Point(
            x=LEFT + index * step,
            y=TOP + plot_height * (1 - snapshot.problem_ratio / scale_max),
            ratio=snapshot.problem_ratio,
            label=f"v{snapshot.version}" if snapshot.version is not None else snapshot.loaded_at.strftime("%m-%d"),
        )
        for index, snapshot in enumerate(loads)
    )
    return TrendChart(width=WIDTH, height=HEIGHT, points=points, scale_max=scale_max)
