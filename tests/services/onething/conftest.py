"""开办企业一件事 at Xihu, as the tests build it: five items of five departments (company
registration SJ, seal engraving GA, tax registration SW, social-insurance registration RS,
housing-fund registration ZJ), each handled by the "simple" process (window intake, then the
department's case officer), made into one bundle through the onething services.

What the parts share, and so is asked once: the company's name, USCC and legal representative
(pre-filled from the legal-person registry), its address, the number of employees (RS and ZJ), the
legal representative's household record (a SHARED material of SJ and GA) and the proof of the
address (an upload of SJ and SW). The business licence is PRODUCED by company registration, so the
four other parts do not ask for it.
"""

from dataclasses import dataclass

import pytest

from tests.services.conftest import (
    COMPANY_FIELDS,
    HUKOU,
    SYSTEM,
    form_field,
    implementation_make,
    item_make,
    material,
)
from zhengtong.services.onething import services

SJ_ITEM = "330106-SJ-101"
GA_ITEM = "330106-GA-102"
SW_ITEM = "330106-SW-103"
RS_ITEM = "330106-RS-104"
ZJ_ITEM = "330106-ZJ-105"
BUNDLE = "company-opening"
BUNDLE_NAME = "开办企业一件事"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000a49444154789c6300010000050001"
                    "0d0a2db40000000049454e44ae426082")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@dataclass
class Opening:
    bundle: object
    items: dict  # department short code → ServiceItem
    implementations: dict  # department short code → ItemImplementation


LICENCE = material("licence", "营业执照", source="produced", source_ref=SJ_ITEM)
HOUSEHOLD = material("legal_rep_household", "法定代表人户籍信息", source="shared", source_ref=HUKOU)
ADDRESS_PROOF = material("address_proof", "住所使用证明", accepted_types=("pdf", "jpg", "png"))


def opening_items() -> Opening:
    """The five items and their Xihu implementations (no bundle yet)."""
    items = {
        "SJ": item_make(SJ_ITEM, "企业设立登记", item_type="licensing", serving="company",
                        competent_department_kind="market_regulation", basis="《市场主体登记管理条例》"),
        "GA": item_make(GA_ITEM, "公章刻制备案", item_type="filing", serving="company",
                        competent_department_kind="public_security", basis="《印铸刻字业暨印章管理办法》"),
        "SW": item_make(SW_ITEM, "新办纳税人涉税事项", item_type="other_power", serving="company",
                        competent_department_kind="taxation", basis="《税收征收管理法》"),
        "RS": item_make(RS_ITEM, "单位社会保险登记", item_type="confirmation", serving="company",
                        competent_department_kind="human_resources", basis="《社会保险法》"),
        "ZJ": item_make(ZJ_ITEM, "单位住房公积金缴存登记", item_type="public_service", serving="company",
                        competent_department_kind="housing", basis="《住房公积金管理条例》"),
    }
    employees = form_field("employee_count", "职工人数", "number")
    implementations = {
        "SJ": implementation_make(
            items["SJ"], department="330106-SJ", process="simple", promised_days=1, legal_days=15,
            result_name="营业执照", form_fields=[
                *COMPANY_FIELDS,
                form_field("address", "住所", "address", prefill="company.address"),
                form_field("registered_capital", "注册资本（万元）", "number"),
                form_field("business_scope", "经营范围", "textarea", max_length=500)],
            materials=[HOUSEHOLD, material("articles", "公司章程", accepted_types=("pdf",)), ADDRESS_PROOF]),
        "GA": implementation_make(
            items["GA"], department="330106-GA", process="simple", promised_days=1, legal_days=5,
            result_name="印章备案回执", form_fields=[
                form_field("enterprise_name", "单位名称", prefill="company.name"),
                form_field("uscc", "统一社会信用代码", "uscc", prefill="company.uscc"),
                form_field("representative", "法定代表人", prefill="company.legal_representative"),
                form_field("seal_kinds", "刻制印章", "choice", choices=(("standard", "公章、财务章、发票章"),
                                                                    ("full", "公章、财务章、发票章、合同章")))],
            materials=[LICENCE, HOUSEHOLD]),
        "SW": implementation_make(
            items["SW"], department="330106-SW", process="simple", promised_days=1, legal_days=10,
            result_name="税务登记信息确认", form_fields=[
                *COMPANY_FIELDS,
                form_field("accountant_name", "办税人员姓名"),
                form_field("accountant_mobile", "办税人员手机号码", "mobile"),
                form_field("invoices", "是否申领发票", "yesno")],
            materials=[LICENCE, ADDRESS_PROOF]),
        "RS": implementation_make(
            items["RS"], department="330106-RS", process="simple", promised_days=2, legal_days=15,
            result_name="社会保险登记证明", form_fields=[
                *COMPANY_FIELDS, form_field("address", "单位地址", "address", prefill="company.address"),
                employees],
            materials=[LICENCE]),
        "ZJ": implementation_make(
            items["ZJ"], department="330106-ZJ", process="simple", promised_days=3, legal_days=20,
            result_name="住房公积金缴存登记证明", form_fields=[
                *COMPANY_FIELDS, employees,
                form_field("deposit_ratio", "缴存比例", "choice", choices=(("5", "5%"), ("12", "12%")))],
            materials=[LICENCE]),
    }
    return Opening(bundle=None, items=items, implementations=implementations)


PARTS = [
    services.PartSpec(SJ_ITEM),
    services.PartSpec(GA_ITEM, field_map={"enterprise_name": "company_name", "representative": "legal_representative"}),
    services.PartSpec(SW_ITEM),
    services.PartSpec(RS_ITEM),
    services.PartSpec(ZJ_ITEM),
]


def opening_bundle(actor=SYSTEM, **overrides):
    arguments = {"actor": actor, "code": BUNDLE, "name": BUNDLE_NAME, "serving": "company", "division_code": "330106",
                 "result_name": "企业开办完成（营业执照、印章、涉税事项、社保和公积金登记）",
                 "description": "一次申请，五个部门并联办理，一次办结。", "parts": PARTS, "publish": True}
    arguments.update(overrides)
    return services.bundle_create(**arguments)


@pytest.fixture
def opening(platform) -> Opening:
    """The five items, their implementations, and the published bundle."""
    made = opening_items()
    made.bundle = opening_bundle()
    return made


# A complete set of answers to the merged form (the pre-filled ones come from the registry).
ANSWERS = {
    "registered_capital": "100",
    "business_scope": "数据处理服务；软件开发；信息技术咨询服务",
    "seal_kinds": "standard",
    "accountant_name": "李会计",
    "accountant_mobile": "13700001111",
    "invoices": "yes",
    "employee_count": "12",
    "deposit_ratio": "12",
}


def upload(name: str, content: bytes = PDF, content_type: str = "application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def draft_complete(actor, *, answers=None):
    """A bundle draft with every answer given and every material provided (ready to submit)."""
    draft = services.bundle_draft_start(actor=actor, bundle_code=BUNDLE)
    services.bundle_draft_answer(actor=actor, bundle_application_id=draft.public_id,
                                 answers=ANSWERS if answers is None else answers)
    services.bundle_material_preview(actor=actor, bundle_application_id=draft.public_id,
                                     material_key="legal_rep_household")
    services.bundle_material_accept(actor=actor, bundle_application_id=draft.public_id,
                                    material_key="legal_rep_household")
    services.bundle_material_upload(actor=actor, bundle_application_id=draft.public_id, material_key="articles",
                                    upload=upload("章程.pdf"))
    services.bundle_material_upload(actor=actor, bundle_application_id=draft.public_id,
                                    material_key="address_proof", upload=upload("租赁合同.pdf"))
    draft.refresh_from_db()
    return draft
