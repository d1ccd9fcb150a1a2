"""Accounts for tests, made through the identity services (the real write path).

factory_boy builds the arguments; _create hands them to the service instead of saving a model,
so a test account is exactly what the platform itself would create.
"""

from datetime import date

import factory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengtong.kernel.identity import services
from zhengtong.kernel.org.models import Department, Division
from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

PASSWORD = "Correct-horse-42"
# A fixed TOTP secret: the browser test computes the current code from it, as an app would.
TOTP_KEY = "3132333435363738393031323334353637383930"
# Valid check digits (GB 11643 and GB 32100).
RESIDENT_ID = "110102199101010078"
OTHER_RESIDENT_ID = "360426199101010071"
USCC = "91110000600037341L"


def org_load() -> Department:
    """Zhejiang, Hangzhou and Xihu district only (the whole province takes seconds), with one
    department of each standard kind; returns Xihu's market regulation bureau."""
    divisions_load(rows=[row for row in division_rows_bundled() if row.code in {"330000", "330100", "330106"}])
    departments_create_standard()
    return Department.objects.get(code="330106-SJ")


def division(code: str = "330106") -> Division:
    return Division.objects.get(code=code)


class CitizenFactory(factory.Factory):
    class Meta:
        model = dict

    resident_id = RESIDENT_ID
    name = "张三丰"
    gender = "M"
    birth_date = date(1991, 1, 1)
    division = factory.LazyFunction(division)
    address = "浙江省杭州市西湖区文三路90号"
    mobile = "13812345678"
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.citizen_create(**kwargs)


class CompanyFactory(factory.Factory):
    class Meta:
        model = dict

    uscc = USCC
    name = "杭州示例科技有限公司"
    kind = "enterprise"
    legal_representative = factory.LazyFunction(
        lambda: CitizenFactory(resident_id=OTHER_RESIDENT_ID, name="李四", password=None, mobile="")
    )
    division = factory.LazyFunction(division)
    registered_on = date(2015, 6, 1)
    address = "浙江省杭州市西湖区古墩路1号"
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.company_create(**kwargs)


class StaffFactory(factory.Factory):
    class Meta:
        model = dict

    username = "wangfang"
    name = "王芳"
    department = factory.LazyFunction(lambda: Department.objects.get(code="330106-SJ"))
    roles = factory.LazyFunction(lambda: ["window_officer", "case_officer"])
    password = PASSWORD
    totp_key = TOTP_KEY

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.staff_create(**kwargs)


def totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def totp_now(user) -> str:
    """The code an authenticator app shows now (6 digits, zero-padded)."""
    device = totp_device(user)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def totp_wrong(user) -> str:
    """A 6-digit code the device refuses: not the code of this step nor of the steps either side
    (the device accepts one step of clock drift)."""
    device = totp_device(user)
    accepted = {
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"
        for drift in (-1, 0, 1)
    }
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)
