"""Pages: the holiday schedule administration page (big-data bureau administrators)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.org.public import Role

from .forms import ScheduleUploadForm
from .schedule_file import ScheduleRejected, schedule_file_read
from .selectors import Coverage, schedule_coverage, schedule_load_list
from .services import schedule_load
from .working_days import PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR, PACKAGE_VERSION

# Past this many, more problems only bury the first ones (a wrong year fails every line).
PROBLEMS_SHOWN = 30


@staff_required(roles=(Role.BIG_DATA_ADMIN,))
def schedule_coverage_page(request):
    today = timezone.localdate()
    coverage = schedule_coverage(actor=request.actor, today=today)
    if request.method == "POST":
        form = ScheduleUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                days = schedule_file_read(form.cleaned_data["file"].read())
                schedule = schedule_load(
                    actor=request.actor,
                    year=form.cleaned_data["year"],
                    source=form.cleaned_data["source"],
                    days=days,
                )
            except ScheduleRejected as rejected:
                for problem in rejected.problems[:PROBLEMS_SHOWN]:
                    form.add_error("file", problem)
                if len(rejected.problems) > PROBLEMS_SHOWN:
                    form.add_error("file", _("Only the first %(shown)d of %(total)d problems are listed.") % {
                        "shown": PROBLEMS_SHOWN, "total": len(rejected.problems),
                    })
            else:
                messages.success(request, _("The %(year)d holiday schedule is loaded: %(count)d days listed.") % {
                    "year": schedule.year, "count": len(days),
                })
                return redirect("calendar:coverage")
        # A rejected file changed nothing, so the coverage read above is still the truth.
    else:
        first_unknown = next((row.year for row in coverage if row.coverage == Coverage.NONE), today.year + 1)
        form = ScheduleUploadForm(initial={"year": first_unknown})
    return render(request, "calendar/coverage.html", {
        "form": form,
        "coverage": coverage,
        "loads": schedule_load_list(actor=request.actor),
        "package_first_year": PACKAGE_FIRST_YEAR,
        "package_last_year": PACKAGE_LAST_YEAR,
        "package_version": PACKAGE_VERSION,
    })
