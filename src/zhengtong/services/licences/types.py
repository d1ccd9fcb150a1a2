"""The demo licence types: each one's issuing department kind, holder kind, validity and field
schema (name, title, masking kind, and optionally where its value comes from on approval: "source"
is an answer's name, or "holder.<attribute>" of the holder's record; by default the answer of the
field's own name, else the holder's attribute of that name).

The issuing department kind is the kind of the department that implements the demo item whose
result the type is (src/zhengtong/demo/service_items.py): licence_issue refuses a department of
another kind. Where a type is the result of a demo item, its field names are the item's form
questions where they mean the same (name, resident_id, premises, …), so a licence is filled from
the approved application's answers.
"""

DEMO_TYPES = [
    {"code": "business_licence", "name": "营业执照", "issuing_department_kind": "market_regulation",
     "holder_kind": "company", "validity_days": None,
     "schema": [{"name": "name", "title": "名称", "masking_kind": "plain", "source": "holder.name"},
                {"name": "uscc", "title": "统一社会信用代码", "masking_kind": "credit_code", "source": "holder.uscc"},
                {"name": "legal_representative", "title": "法定代表人", "masking_kind": "name"},
                {"name": "business_scope", "title": "经营范围", "masking_kind": "plain"},
                {"name": "address", "title": "住所", "masking_kind": "address", "source": "premises"}]},
    {"code": "birth_certificate", "name": "出生医学证明", "issuing_department_kind": "health",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "child_name", "title": "新生儿姓名", "masking_kind": "name"},
                {"name": "birth_date", "title": "出生日期", "masking_kind": "plain"},
                {"name": "mother_name", "title": "母亲姓名", "masking_kind": "name"},
                {"name": "father_name", "title": "父亲姓名", "masking_kind": "name"}]},
    {"code": "marriage_certificate", "name": "结婚证", "issuing_department_kind": "civil_affairs",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "holder_name", "title": "持证人", "masking_kind": "name"},
                {"name": "spouse_name", "title": "配偶姓名", "masking_kind": "name"},
                {"name": "registered_on", "title": "登记日期", "masking_kind": "plain"}]},
    {"code": "real_estate_certificate", "name": "不动产权证书", "issuing_department_kind": "natural_resources",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "owner", "title": "权利人", "masking_kind": "name", "source": "holder.name"},
                {"name": "location", "title": "坐落", "masking_kind": "address", "source": "property_address"},
                {"name": "area", "title": "面积（平方米）", "masking_kind": "plain"}]},
    {"code": "social_security_card", "name": "社会保障卡", "issuing_department_kind": "human_resources",
     "holder_kind": "citizen", "validity_days": 3650,
     "schema": [{"name": "name", "title": "姓名", "masking_kind": "name", "source": "holder.name"},
                # 社会保障号码 is the holder's resident ID number.
                {"name": "card_number", "title": "社会保障号码", "masking_kind": "resident_id",
                 "source": "holder.resident_id"}]},
    # The results of the demo's service items (一网通办).
    {"code": "elderly_card", "name": "老年人优待证", "issuing_department_kind": "civil_affairs",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "name", "title": "姓名", "masking_kind": "name"},
                {"name": "resident_id", "title": "公民身份号码", "masking_kind": "resident_id"},
                {"name": "birth_date", "title": "出生日期", "masking_kind": "plain"},
                {"name": "address", "title": "户籍地址", "masking_kind": "address"}]},
    {"code": "employment_card", "name": "就业创业证", "issuing_department_kind": "human_resources",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "name", "title": "姓名", "masking_kind": "name"},
                {"name": "resident_id", "title": "公民身份号码", "masking_kind": "resident_id"},
                {"name": "employment_status", "title": "就业状态", "masking_kind": "plain"},
                {"name": "address", "title": "户籍地址", "masking_kind": "address"}]},
    {"code": "food_licence", "name": "食品经营许可证", "issuing_department_kind": "market_regulation",
     "holder_kind": "company", "validity_days": 1825,  # five years (《食品经营许可和备案管理办法》)
     "schema": [{"name": "company_name", "title": "经营者名称", "masking_kind": "plain"},
                {"name": "uscc", "title": "统一社会信用代码", "masking_kind": "credit_code"},
                {"name": "legal_representative", "title": "法定代表人（负责人）", "masking_kind": "name"},
                {"name": "premises", "title": "经营场所", "masking_kind": "address"},
                {"name": "category", "title": "主体业态", "masking_kind": "plain"}]},
    {"code": "physician_licence", "name": "医师执业证书", "issuing_department_kind": "health",
     "holder_kind": "citizen", "validity_days": None,
     "schema": [{"name": "name", "title": "姓名", "masking_kind": "name"},
                {"name": "resident_id", "title": "公民身份号码", "masking_kind": "resident_id"},
                {"name": "qualification_number", "title": "医师资格证书编码", "masking_kind": "plain"},
                {"name": "institution", "title": "执业地点（机构）", "masking_kind": "plain"},
                {"name": "specialty", "title": "执业范围", "masking_kind": "plain"}]},
]
