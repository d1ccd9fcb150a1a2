"""掌上执法: inspections of drawn entities, their refusals, photos, and the rectification loop."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from zhengtong.kernel.loops.models import Case
from zhengtong.supervision.supervision import inspections, services
from zhengtong.supervision.supervision.inspections import Signature
from zhengtong.supervision.supervision.models import DrawnEntity, Inspection, PenaltyCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ANSWERS = {"许可证照": ("conforms", ""), "从业人员健康证明": ("does_not", "2人无健康证明"), "原料进货查验": ("not_applicable", "")}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def assigned(drawn, inspectors):
    """The people names of the drawn entity's inspectors, in order."""
    by_number = {i.certificate_no: name for name, i in inspectors.items()}
    return [by_number[n] for n in drawn.inspectors]


def signatures(drawn, inspectors, names=None):
    chosen = names or assigned(drawn, inspectors)
    return [Signature(inspectors[n].certificate_no, inspectors[n].name, True) for n in chosen]


def record(people, drawn, inspectors, who=None, **kwargs):
    who = who or assigned(drawn, inspectors)[0]
    values = {"outcome": "no_problem", "answers": ANSWERS, "signatures": signatures(drawn, inspectors),
              "findings": ""} | kwargs
    return inspections.inspection_record(actor=people.actor(who), uscc=drawn.uscc, plan_id=drawn.plan.public_id,
                                         **values)


def test_an_inspection_is_recorded_and_published_as_the_result(people, drawn, inspectors):
    me = people.actor(assigned(drawn, inspectors)[0])
    to_do = inspections.inspections_to_do(me)
    assert drawn.uscc in [d.uscc for d in to_do]
    assert all(inspectors[assigned(drawn, inspectors)[0]].certificate_no in d.inspectors for d in to_do)
    done = record(people, drawn, inspectors, latitude="30.274085", longitude="120.155070")
    assert [c["verdict"] for c in done.checks] == ["conforms", "does_not", "not_applicable"]
    assert len(done.signatures) == 2 and all(s["signed_at"] for s in done.signatures)
    assert str(done.latitude) == "30.274085"
    drawn.refresh_from_db()
    assert drawn.result == "no_problem" and drawn.result_on is not None
    assert drawn.uscc not in [d.uscc for d in inspections.inspections_to_do(me)]
    assert len(inspections.inspections_to_do(me)) == len(to_do) - 1


def test_an_inspector_not_assigned_is_refused(people, drawn, inspectors):
    outsider = next(n for n in ("sj_insp1", "sj_insp2", "sj_insp3") if n not in assigned(drawn, inspectors))
    with pytest.raises(PermissionDenied, match="not assigned"):
        record(people, drawn, inspectors, who=outsider)
    with pytest.raises(ValidationError) as error:
        record(people, drawn, inspectors,
               signatures=signatures(drawn, inspectors)[:1] + signatures(drawn, inspectors, [outsider]))
    assert "is not an inspector assigned to this inspection" in str(error.value)
    assert Inspection.objects.count() == 0


def test_a_recused_inspector_is_refused(people, drawn, inspectors):
    first = assigned(drawn, inspectors)[0]
    services.inspector_declare_conflicts(actor=people.actor(first), inspector_id=inspectors[first].public_id,
                                         conflicts=[drawn.uscc])
    with pytest.raises(PermissionDenied, match="must recuse"):
        record(people, drawn, inspectors, who=first)
    with pytest.raises(ValidationError) as error:
        record(people, drawn, inspectors, who=assigned(drawn, inspectors)[1])
    assert "must recuse" in str(error.value)
    assert Inspection.objects.count() == 0


def test_fewer_than_two_signatures_are_refused(people, drawn, inspectors):
    one = signatures(drawn, inspectors)
    unconfirmed = [one[0], Signature(one[1].certificate_no, one[1].name, False)]
    for given in (one[:1], unconfirmed, [one[0], one[0]]):
        with pytest.raises(ValidationError) as error:
            record(people, drawn, inspectors, signatures=given)
        assert error.value.message_dict["signatures"] == [
            "An inspection needs the signatures of at least two inspectors."]
    wrong_name = [one[0], Signature(one[1].certificate_no, "别人", True)]
    with pytest.raises(ValidationError, match="not the inspector's name"):
        record(people, drawn, inspectors, signatures=wrong_name)
    assert Inspection.objects.count() == 0


def test_a_penalty_outcome_needs_a_finding_and_every_check_an_answer(people, drawn, inspectors):
    with pytest.raises(ValidationError) as error:
        record(people, drawn, inspectors, outcome="penalty_case", findings="  ")
    assert error.value.message_dict["findings"] == ["A penalty case needs the findings of the inspection."]
    with pytest.raises(ValidationError) as error:
        record(people, drawn, inspectors, answers={"许可证照": ("conforms", "")})
    assert "Answer every check" in error.value.message_dict["checks"][0]
    assert (Inspection.objects.count(), PenaltyCase.objects.count()) == (0, 0)
    record(people, drawn, inspectors, outcome="penalty_case", findings="未取得食品经营许可从事经营")
    case = PenaltyCase.objects.get()
    assert (case.uscc, case.state, case.facts) == (drawn.uscc, "filed", "未取得食品经营许可从事经营")


def test_photos_are_checked_and_stored(people, drawn, inspectors, tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        fake = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")
        with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
            record(people, drawn, inspectors, photos=[fake])
        big = SimpleUploadedFile("b.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
        with pytest.raises(ValidationError, match="at most 5 MB"):
            record(people, drawn, inspectors, photos=[big])
        done = record(people, drawn, inspectors, photos=[SimpleUploadedFile("c.png", PNG, content_type="image/png")])
        [name] = done.photos
        assert (tmp_path / name).read_bytes() == PNG


def test_a_rectification_opens_a_loop_closed_by_the_recheck(people, drawn, inspectors):
    done = record(people, drawn, inspectors, outcome="rectification", findings="2名从业人员无健康证明")
    assert done.rectification_due > done.inspected_on
    case = Case.objects.get(public_id=done.rectification_case_id)
    assert case.kind == "supervision_rectification" and case.assignee_department_id == done.department_id
    with pytest.raises(PermissionDenied):
        inspections.inspection_recheck(actor=people.actor("wj_leader"), inspection_id=done.public_id, passed=True,
                                       note="已整改")
    inspections.inspection_recheck(actor=people.actor("sj_officer"), inspection_id=done.public_id, passed=True,
                                   note="复查：已补办健康证明")
    case.refresh_from_db()
    done.refresh_from_db()
    assert case.state == "closed" and done.rechecked_at is not None and "健康证明" in done.recheck_note
    assert DrawnEntity.objects.get(pk=drawn.pk).result == "rectification"


def test_the_phone_pages_record_an_inspection_in_chinese(client, people, drawn, inspectors, no_totp):
    from django.urls import reverse

    first, second = assigned(drawn, inspectors)
    client.force_login(people.users[first], backend="zhengtong.kernel.identity.backends.AccountBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    text = client.get(reverse("supervision:inspection-list")).content.decode()
    assert "我的待检查任务" in text and drawn.name in text
    assert 'name="viewport" content="width=device-width' in text and "supervision/inspection.css" in text
    url = reverse("supervision:inspection-record", args=[drawn.plan.public_id, drawn.uscc])
    text = client.get(url).content.decode()
    assert "执法人员签名" in text and "从业人员健康证明" in text and 'capture="environment"' in text
    form = {"check_0": "conforms", "check_1": "conforms", "check_2": "conforms", "outcome": "no_problem",
            f"sign_name_{inspectors[first].certificate_no}": inspectors[first].name,
            f"sign_confirm_{inspectors[first].certificate_no}": "on"}
    text = client.post(url, form, follow=True).content.decode()
    assert "检查须有至少两名执法人员签名。" in text and Inspection.objects.count() == 0
    form |= {f"sign_name_{inspectors[second].certificate_no}": inspectors[second].name,
             f"sign_confirm_{inspectors[second].certificate_no}": "on", "latitude": "30.27", "longitude": "120.15"}
    response = client.post(url, form)
    assert response.status_code == 302 and response.url == reverse("supervision:inspection-list")
    drawn.refresh_from_db()
    assert drawn.result == "no_problem" and Inspection.objects.get().latitude is not None


def test_the_recheck_is_recorded_from_the_page(client, people, drawn, inspectors, no_totp):
    from django.urls import reverse

    done = record(people, drawn, inspectors, outcome="rectification", findings="2名从业人员无健康证明")
    client.force_login(people.users["sj_officer"], backend="zhengtong.kernel.identity.backends.AccountBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    text = client.get(reverse("supervision:inspection-list")).content.decode()
    assert "待复查的整改" in text and "2名从业人员无健康证明" in text
    url = reverse("supervision:inspection-recheck", args=[done.public_id])
    assert "请填写复查情况。" in client.post(url, {"note": " ", "passed": "on"}, follow=True).content.decode()
    client.post(url, {"note": "已补办健康证明", "passed": "on"})
    done.refresh_from_db()
    assert done.rechecked_at is not None
    assert "待复查的整改" not in client.get(reverse("supervision:inspection-list")).content.decode()
