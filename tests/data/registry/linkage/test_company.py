"""Companies: USCC and legacy registration numbers, names with legal-form variants."""

import duckdb

from zhengtong.data.registry.linkage import LinkageConfig, SourceSpec, linkage_run
from zhengtong.kernel.ids.public import uscc_check_char

from .conftest import write_csv


def reg_no(body14: str) -> str:
    p = 10
    for d in body14:
        s = p % 11 + int(d)
        p = (s % 10 or 10) * 2
    return body14 + str((11 - p % 11) % 10)


def test_companies_link_on_valid_uscc_and_on_registration_numbers(tmp_path):
    uscc = "91330106MA27XL0E2" + uscc_check_char("91330106MA27XL0E2")
    reg = reg_no("33010640000123")
    market = write_csv(tmp_path / "market.csv", "id,tyshxydm,zch,qymc,fddbr,clrq,zs",
                       f"1,{uscc},{reg},杭州西湖（集团）有限责任公司,王芳,2001-05-06,浙江省杭州市西湖区文三路1号",
                       f"2,{uscc[:-1]}{'0' if uscc[-1] != '0' else '1'},,杭州运河有限公司,李强,2010-01-01,杭州市拱墅区湖墅南路2号")
    tax = write_csv(tmp_path / "tax.csv", "nsrsbh,mc,frdb,dz",
                    f"A,{uscc.lower()},杭州西湖集团有限公司,王芳,杭州西湖文三路1號",
                    f"B,{reg},杭州西湖集團有限公司,王芳,")
    tax.write_text("nsrsbh,code,mc,frdb,dz\n" + "\n".join(tax.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8")
    config = LinkageConfig(kind="company", output=tmp_path / "out", sources=(
        SourceSpec(name="market", key="id", path=market, columns={
            "uscc": "tyshxydm", "registration_no": "zch", "name": "qymc", "legal_representative": "fddbr",
            "established_on": "clrq", "address": "zs"}),
        SourceSpec(name="tax_u", key="nsrsbh", path=tax, columns={"uscc": "code", "name": "mc",
                                                                  "legal_representative": "frdb", "address": "dz"}),
        SourceSpec(name="tax_r", key="nsrsbh", path=tax, columns={"registration_no": "code", "name": "mc"}),
    ))
    result = linkage_run(config)
    clusters = dict(duckdb.execute(f"SELECT * FROM read_parquet('{result.clusters_path}')").fetchall())
    # market:1 carries both codes: joined to the tax record under its USCC and to the one under its
    # registration number.
    assert clusters["market:1"] == clusters["tax_u:A"] == clusters["tax_r:B"]
    assert clusters["market:2"] != clusters["market:1"]
    records = dict((r[0], r[1:]) for r in duckdb.execute(
        f"SELECT record_id, name, uscc_valid, registration_no_valid FROM read_parquet('{result.records_path}')").fetchall())
    assert records["market:1"] == ("杭州西湖集团有限公司", True, True)
    assert records["tax_r:B"] == ("杭州西湖集团有限公司", False, True)
    assert records["market:2"][1] is False


def test_a_generated_company_population_links(tmp_path):
    from zhengtong.data.registry.linkage.evaluate import evaluate
    from zhengtong.data.registry.linkage.synthetic import companies_write, config_for

    population = companies_write(tmp_path / "companies", companies=1500, seed=5)
    result = linkage_run(config_for(population, tmp_path / "out"))
    assert result.report["kind"] == "company"
    (uscc_valid, reg_valid, uscc_any, reg_any) = duckdb.execute(f"""
        SELECT count(*) FILTER (WHERE uscc_valid), count(*) FILTER (WHERE registration_no_valid),
               count(uscc), count(registration_no) FROM read_parquet('{result.records_path}')""").fetchone()
    assert reg_valid == reg_any > 0  # every generated registration number carries a right check digit
    assert 0.9 * uscc_any <= uscc_valid < uscc_any  # all but the planted wrong check characters
    sample = duckdb.execute(f"SELECT uscc FROM read_parquet('{result.records_path}') WHERE uscc_valid LIMIT 20").fetchall()
    assert all(uscc_check_char(code[:17]) == code[17] for (code,) in sample)  # the kernel agrees
    scores = evaluate(result.clusters_path, population.truth)
    assert scores["pairs"]["precision"] >= 0.98 and scores["pairs"]["recall"] >= 0.98
    assert result.report["links_by_pass"]["probabilistic"] > 0
