"""DCAT-AP 3 export (checked with pySHACL against the DCAT-AP 3.0.1 shapes) and the Frictionless
Data Package export (checked with the frictionless library)."""

import json
from datetime import date
from pathlib import Path

import pytest
from frictionless import Package, Resource, Schema
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF

from zhengtong.data.catalog import dcat
from zhengtong.data.catalog.datapackage import dataset_datapackage
from zhengtong.data.catalog.models import Dataset, TableSchema
from zhengtong.data.catalog.selectors import catalog_export_datasets

from .conftest import PERSON_SCHEMA

pytestmark = [
    pytest.mark.django_db,
    # rdflib 7.1+ deprecates the ConjunctiveGraph and Dataset API that pySHACL and rdflib's own
    # JSON-LD parser still use internally: thousands of warnings that are not ours to fix.
    pytest.mark.filterwarnings(r"ignore:(ConjunctiveGraph|Dataset\.).*:DeprecationWarning"),
]

SHAPES_DIR = Path(__file__).parent / "shapes"
MANDATORY = SHAPES_DIR / "dcat-ap-3.0.1-shapes.ttl"
RECOMMENDED = SHAPES_DIR / "dcat-ap-3.0.1-shapes-recommended.ttl"
BASE = "https://data.zj.example.cn"
EU = "http://publications.europa.eu/resource/authority/"


def shacl(graph: Graph, shapes: Path, *, allow_warnings: bool = False) -> tuple[bool, str]:
    conforms, _, text = validate(graph, shacl_graph=str(shapes), shacl_graph_format="turtle",
                                 allow_warnings=allow_warnings)
    return conforms, text


@pytest.fixture
def described(make_dataset, departments):
    """An open dataset with every DCAT-AP property the platform has."""
    return make_dataset(
        "province_dsj_admin", owner_department_id=departments["330106-MZ"].id, title="最低生活保障对象名单",
        title_en="Recipients of the minimum living allowance", description="西湖区低保对象的户数、人数和保障金额。",
        description_en="Households and people receiving the minimum living allowance in Xihu, and the amounts.",
        grade="general", sensitivity="L1", share_type="unconditional", open_type="open", update_cycle="monthly",
        theme="SOCI", keywords=["低保", "社会救助"], contact_name="社会救助科", contact_email="jiuzhu@xihu.example.cn",
        contact_phone="0571-87000000", temporal_start=date(2020, 1, 1), temporal_end=date(2025, 12, 31),
        schema=PERSON_SCHEMA, publish=True,
    )


def test_a_dataset_conforms_to_both_dcat_ap_shape_files(described):
    graph = dcat.dataset_graph(described, base_url=BASE)
    for shapes in (MANDATORY, RECOMMENDED):
        conforms, report = shacl(graph, shapes)
        assert conforms, report

    node = URIRef(f"{BASE}/id/dataset/330106-MZ-00001")
    assert set(graph.objects(node, DCTERMS.title)) == {
        Literal("最低生活保障对象名单", lang="zh"), Literal("Recipients of the minimum living allowance", lang="en"),
    }
    assert graph.value(node, DCTERMS.identifier) == Literal("330106-MZ-00001")
    assert graph.value(node, DCAT.theme) == URIRef(EU + "data-theme/SOCI")
    assert graph.value(node, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/MONTHLY")
    assert graph.value(node, DCTERMS.spatial) == URIRef(f"{BASE}/id/division/330106")
    assert set(graph.objects(node, DCAT.keyword)) == {Literal("低保", lang="zh"), Literal("社会救助", lang="zh")}
    publisher = graph.value(node, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}/id/department/330106-MZ")
    assert graph.value(publisher, DCTERMS.type) == URIRef("http://purl.org/adms/publishertype/LocalAuthority")
    period = graph.value(node, DCTERMS.temporal)
    assert (graph.value(period, DCAT.startDate).toPython(), graph.value(period, DCAT.endDate).toPython()) == (
        date(2020, 1, 1), date(2025, 12, 31))
    distributions = {
        str(d): (str(graph.value(d, DCAT.accessURL)), str(graph.value(d, DCTERMS.format)),
                 str(graph.value(d, DCTERMS.license)))
        for d in graph.objects(node, DCAT.distribution)
    }
    prefix = f"{BASE}/id/dataset/330106-MZ-00001/distribution/"
    assert distributions == {
        prefix + "csv": (f"{BASE}/opendata/datasets/330106-MZ-00001/download.csv", EU + "file-type/CSV",
                         EU + "licence/CC_BY_4_0"),
        prefix + "parquet": (f"{BASE}/opendata/datasets/330106-MZ-00001/download.parquet", EU + "file-type/PARQUET",
                             EU + "licence/CC_BY_4_0"),
        prefix + "api": (f"{BASE}/api/v1/share/ds-330106-mz-00001/records", EU + "file-type/JSON",
                         f"{BASE}/terms/data-sharing"),
    }
    for distribution in graph.objects(node, DCAT.distribution):
        assert graph.value(distribution, URIRef("http://data.europa.eu/r5r/availability")) == URIRef(
            EU + "planned-availability/STABLE")


def test_the_whole_catalog_conforms_and_holds_only_published_entries(described, make_dataset, people):
    make_dataset(title="户籍人口基本信息", temporal_start=date(1990, 1, 1), temporal_end=date(2026, 1, 1),
                 schema=PERSON_SCHEMA, publish=True)
    make_dataset(title="草稿")
    graph = dcat.catalog_graph(catalog_export_datasets(actor=people.actor("province_dsj_admin")), base_url=BASE)
    for shapes in (MANDATORY, RECOMMENDED):
        conforms, report = shacl(graph, shapes)
        assert conforms, report
    catalog = URIRef(f"{BASE}/id/catalog")
    assert graph.value(catalog, RDF.type) == DCAT.Catalog
    assert sorted(str(d) for d in graph.objects(catalog, DCAT.dataset)) == [
        f"{BASE}/id/dataset/330106-GA-00001", f"{BASE}/id/dataset/330106-MZ-00001",
    ]
    assert graph.value(catalog, DCTERMS.publisher) == URIRef(f"{BASE}/id/department/330000-DSJ")
    assert graph.value(catalog, DCAT.themeTaxonomy) == URIRef(EU + "data-theme")


def test_an_entry_neither_shared_nor_opened_has_no_distribution(make_dataset):
    dataset = make_dataset(grade="core", sensitivity="L4", share_type="not_shared", open_type="not_open",
                           schema=PERSON_SCHEMA, publish=True)
    graph = dcat.dataset_graph(dataset, base_url=BASE)
    node = URIRef(f"{BASE}/id/dataset/330106-GA-00001")
    assert list(graph.objects(node, DCAT.distribution)) == []
    assert graph.value(node, DCTERMS.accessRights) == URIRef(EU + "access-right/NON_PUBLIC")
    assert shacl(graph, MANDATORY)[0] is True
    # DCAT-AP recommends a distribution; the export says honestly there is none, a warning only.
    conforms, report = shacl(graph, RECOMMENDED)
    assert conforms is False and "dcat:distribution" in report and "Violation" not in report
    assert shacl(graph, RECOMMENDED, allow_warnings=True)[0] is True


def test_turtle_and_json_ld_carry_the_same_graph(described):
    graph = dcat.dataset_graph(described, base_url=BASE)
    turtle = Graph().parse(data=dcat.serialize(graph, "ttl"), format="turtle")
    json_ld = Graph().parse(data=dcat.serialize(graph, "jsonld"), format="json-ld")
    assert isomorphic(turtle, json_ld)
    assert isomorphic(turtle, graph)
    assert "dcat" in json.loads(dcat.serialize(graph, "jsonld"))["@context"]


def test_the_data_package_is_valid_for_frictionless(described, tmp_path):
    schema = TableSchema.objects.get(dataset=described)
    package = dataset_datapackage(described, base_url=BASE, schema=schema)
    assert list(Package.metadata_validate(package)) == []
    assert package["name"] == "330106-mz-00001"
    assert package["licenses"] == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                                    "title": "Creative Commons Attribution 4.0"}]
    (resource,) = package["resources"]
    assert resource["path"] == f"{BASE}/opendata/datasets/330106-MZ-00001/download.csv"
    assert resource["schema"] == PERSON_SCHEMA

    # The schema works in frictionless as it is: a good row passes, a bad one is caught.
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id_number,name,birth_date,gender,mobile,reg_date,allowance\n"
        "110102199101010078,张三,1991-01-01,男,18012341999,2020年01月05日,800\n"
        ",李四,1992-13-01,未知,18012341999,2020年1月,-5\n",
        encoding="utf-8",
    )
    report = Resource(path=rows.name, basepath=str(tmp_path), schema=Schema.from_descriptor(resource["schema"])).validate()
    assert [(error.type, error.row_number, getattr(error, "field_name", None)) for error in report.tasks[0].errors] == [
        ("constraint-error", 3, "id_number"),
        ("type-error", 3, "birth_date"),
        ("constraint-error", 3, "gender"),
        ("type-error", 3, "reg_date"),  # the Chinese date pattern is applied: 2020年1月 has no day
        ("constraint-error", 3, "allowance"),
        ("primary-key", 3, None),
    ]


def test_a_dataset_without_schema_is_still_a_valid_package(make_dataset):
    dataset = make_dataset()
    package = dataset_datapackage(Dataset.objects.get(pk=dataset.pk), base_url=BASE, schema=None)
    assert list(Package.metadata_validate(package)) == []
    assert "schema" not in package["resources"][0]
