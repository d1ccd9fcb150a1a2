"""Show a working-day deadline the same way on every page: the date, and when it is provisional,
a "Provisional" tag and the sentence saying which year's holidays are not loaded yet.

    {% load calendar_tags %}
    {% working_deadline deadline %}          the date, in a <time> element, with the notice if any
    {{ deadline|provisional_notice }}        the notice sentence alone ("" when not provisional)
"""

from django import template

from ..public import WorkingDeadline
from ..public import provisional_notice as notice_text

register = template.Library()


@register.inclusion_tag("calendar/working_deadline.html")
def working_deadline(deadline: WorkingDeadline) -> dict:
    return {"deadline": deadline, "notice": notice_text(deadline)}


@register.filter
def provisional_notice(deadline: WorkingDeadline) -> str:
    return notice_text(deadline)
