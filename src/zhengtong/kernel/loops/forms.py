"""Forms of the case pages: the list filter and one small form per action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import departments_within_reach

from . import kinds
from .models import CaseState

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *CaseState.choices]
        self.fields["kind"].choices = [("", _("All kinds"))] + [
            (code, spec.name) for code, spec in sorted(kinds.KINDS.items())
        ]


class ActionForm(forms.Form):
    """Field names match the services' keyword arguments, so their ValidationErrors land on the field."""

    def __init__(self, *args, actor: Actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)


class AssignForm(ActionForm):
    department_id = forms.TypedChoiceField(label=_("Department to handle the case"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = departments_within_reach(self.actor.division_code or "")
        self.fields["department_id"].choices = [("", _("Choose a department"))] + [
            (department.id, department.name) for department in departments
        ]


class AcceptForm(ActionForm):
    pass


class RespondForm(ActionForm):
    response = forms.CharField(
        label=_("Response"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was done, or why nothing needs doing. The verifying side reads this."),
    )


class VerifyForm(ActionForm):
    accepted = forms.TypedChoiceField(
        label=_("Is the response satisfactory?"), choices=YES_NO, coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the response is not satisfactory: say what is still wrong."),
    )


class CloseForm(ActionForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(ActionForm):
    reason = forms.CharField(label=_("Why reopen the case?"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(ActionForm):
    reason = forms.CharField(
        label=_("Grounds of the appeal"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example, why the report is mistaken or malicious. A supervisor decides."),
    )


class AppealDecideForm(ActionForm):
    upheld = forms.TypedChoiceField(
        label=_("Is the appeal upheld?"), choices=YES_NO, coerce=lambda value: value == "yes",
        widget=forms.RadioSelect, help_text=_("Upheld closes the case; dismissed sends it back to the department."),
    )
    note = forms.CharField(label=_("Reasons for the decision"), widget=forms.Textarea(attrs={"rows": 3}))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "assign": AssignForm,
    "accept": AcceptForm,
    "respond": RespondForm,
    "verify": VerifyForm,
    "close": CloseForm,
    "reopen": ReopenForm,
    "appeal": AppealForm,
    "appeal_decide": AppealDecideForm,
}
