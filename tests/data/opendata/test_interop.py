"""DCAT-AP 3 (Turtle, JSON-LD, RDF/XML) checked with pySHACL against the DCAT-AP 3.0.1 shapes,
datapackage.json checked with frictionless (against the real download, too), and the sitemap —
each holding exactly the public datasets."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.utils import timezone
from frictionless import Package, Resource, Schema
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF

from zhengtong.data.opendata.models import OpenDataset

from .conftest import HIDDEN_WORDS, Codes

pytestmark = [
    pytest.mark.django_db,
    # rdflib 7.1+ deprecates the ConjunctiveGraph/Dataset API that pySHACL and rdflib's JSON-LD
    # parser still use internally (as in the catalog's export tests).
    pytest.mark.filterwarnings(r"ignore:(ConjunctiveGraph|Dataset\.).*:DeprecationWarning"),
]

STANDARDS = Path("/work/shared/standards")
if not STANDARDS.exists():  # the copies the catalog's tests keep
    STANDARDS = Path(__file__).parents[1] / "catalog" / "shapes"
MANDATORY = STANDARDS / "dcat-ap-3.0.1-shapes.ttl"
RECOMMENDED = STANDARDS / "dcat-ap-3.0.1-shapes-recommended.ttl"
BASE = "http://testserver"
PUBLIC = [Codes.OPEN, Codes.APPLY, Codes.NINGBO]
HIDDEN = [Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT]
RDF_FORMATS = {"ttl": ("text/turtle; charset=utf-8", "turtle"),
               "jsonld": ("application/ld+json; charset=utf-8", "json-ld"),
               "rdf": ("application/rdf+xml; charset=utf-8", "xml")}


def shacl(graph: Graph, shapes: Path, *, allow_warnings: bool = False) -> tuple[bool, str]:
    conforms, _graph, text = validate(graph, shacl_graph=str(shapes), shacl_graph_format="turtle",
                                      allow_warnings=allow_warnings)
    return conforms, text


def fetch_graph(client, url: str, fmt: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == RDF_FORMATS[fmt][0]
    return Graph().parse(data=response.content.decode(), format=RDF_FORMATS[fmt][1])


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_the_catalog_holds_exactly_the_public_datasets_and_conforms(open_world, client, fmt):
    graph = fetch_graph(client, f"/opendata/catalog.{fmt}", fmt)
    conforms, report = shacl(graph, MANDATORY)
    assert conforms, report
    # The recommended shapes: warnings only (the fixture datasets give no temporal coverage).
    conforms, report = shacl(graph, RECOMMENDED, allow_warnings=True)
    assert conforms and "sh:Violation" not in report, report
    catalog = URIRef(f"{BASE}/id/catalog")
    assert graph.value(catalog, RDF.type) == DCAT.Catalog
    assert sorted(str(d) for d in graph.objects(catalog, DCAT.dataset)) == sorted(
        f"{BASE}/id/dataset/{code}" for code in PUBLIC)
    assert sorted(str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)) == sorted(
        f"{BASE}/id/dataset/{code}" for code in PUBLIC)
    text = graph.serialize(format="turtle")
    for word in (*HIDDEN_WORDS, *HIDDEN):
        assert word not in text


def test_the_three_serializations_carry_the_same_graph(open_world, client):
    graphs = [fetch_graph(client, f"/opendata/catalog.{fmt}", fmt) for fmt in RDF_FORMATS]
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "rdf"])
def test_a_dataset_record_conforms(open_world, client, fmt):
    graph = fetch_graph(client, f"/opendata/datasets/{Codes.OPEN}.{fmt}", fmt)
    conforms, report = shacl(graph, MANDATORY)
    assert conforms, report
    node = URIRef(f"{BASE}/id/dataset/{Codes.OPEN}")
    assert str(graph.value(node, DCTERMS.identifier)) == Codes.OPEN
    downloads = {str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(node, DCAT.distribution)} - {"None"}
    assert downloads == {f"{BASE}/opendata/datasets/{Codes.OPEN}/download.csv",
                         f"{BASE}/opendata/datasets/{Codes.OPEN}/download.parquet"}


def test_the_public_record_offers_downloads_only_with_data_and_no_sharing_api(open_world, client):
    graph = fetch_graph(client, "/opendata/catalog.ttl", "ttl")
    access_urls = {str(url) for url in graph.objects(None, DCAT.accessURL)}
    assert not [url for url in access_urls if "/api/v1/share/" in url]  # the departments' own API
    ningbo = URIRef(f"{BASE}/id/dataset/{Codes.NINGBO}")  # metadata only: nothing to download yet
    assert list(graph.objects(ningbo, DCAT.distribution)) == []
    opened = URIRef(f"{BASE}/id/dataset/{Codes.OPEN}")
    assert len(list(graph.objects(opened, DCAT.distribution))) == 2


@pytest.mark.parametrize("code", [*HIDDEN, "330106-XX-99999"])
def test_a_hidden_or_unknown_dataset_has_no_record(open_world, client, code):
    for url in (f"/opendata/datasets/{code}.ttl", f"/opendata/datasets/{code}.jsonld",
                f"/opendata/datasets/{code}/datapackage.json"):
        response = client.get(url)
        assert response.status_code == 404
        assert "ETag" not in response and "Last-Modified" not in response
        for word in HIDDEN_WORDS:
            assert word not in response.content.decode()


def test_records_answer_not_modified_until_the_dataset_changes(open_world, client):
    url = f"/opendata/datasets/{Codes.OPEN}.ttl"
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=300"
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    catalog = client.get("/opendata/catalog.ttl")
    assert client.get("/opendata/catalog.ttl", headers={"If-None-Match": catalog["ETag"]}).status_code == 304
    # A dataset leaving the portal changes the catalog's validator.
    OpenDataset.objects.filter(resource_code=Codes.NINGBO).delete()
    assert client.get("/opendata/catalog.ttl", headers={"If-None-Match": catalog["ETag"]}).status_code == 200


def test_the_datapackage_is_valid_and_describes_the_download(open_world, client, tmp_path):
    response = client.get(f"/opendata/datasets/{Codes.OPEN}/datapackage.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = response.json()
    assert list(Package.metadata_validate(package)) == []
    assert (package["name"], package["title"], package["homepage"]) == (
        Codes.OPEN.lower(), "西湖区食品经营许可公示", f"{BASE}/opendata/datasets/{Codes.OPEN}/")
    (resource,) = package["resources"]
    assert resource["path"] == f"{BASE}/opendata/datasets/{Codes.OPEN}/download.csv"
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["contact_mobile"] == {"name": "contact_mobile", "title": "联系电话", "type": "string",
                                        "domainType": "mobile", "masked": True}
    assert fields["category"]["constraints"] == {"enum": ["预包装食品销售", "热食类食品制售", "糕点类食品制售"]}

    # The real download, read with the published schema: every row valid.
    download = client.get(resource["path"].removeprefix(BASE))
    assert download.status_code == 200
    data = tmp_path / "data.csv"
    data.write_bytes(b"".join(download.streaming_content))
    report = Resource(path="data.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(resource["schema"]),
                      encoding="utf-8-sig").validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 30


def test_the_sitemap_lists_exactly_the_public_dataset_pages(open_world, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring(response.content)
    entries = {u.find("s:loc", ns).text: u.find("s:lastmod", ns).text for u in root.findall("s:url", ns)}
    assert sorted(entries) == sorted([f"{BASE}/opendata/",
                                      *(f"{BASE}/opendata/datasets/{code}/" for code in PUBLIC)])
    for code in PUBLIC:
        modified = timezone.localtime(OpenDataset.objects.get(resource_code=code).metadata_modified)
        assert entries[f"{BASE}/opendata/datasets/{code}/"] == modified.date().isoformat()
    text = response.content.decode()
    for word in (*HIDDEN_WORDS, *HIDDEN):
        assert word not in text
