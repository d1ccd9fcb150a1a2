"""DCAT-AP 3 export of the catalog and of one dataset (RDF through rdflib: Turtle or JSON-LD).

IRIs are minted under the deployment's base URL in the "/id/" pattern (…/id/dataset/<resource
code>, …/id/department/<code>, …/id/division/<code>): stable names for things, not pages.
Controlled values come from the EU Publications Office tables DCAT-AP names (data themes, access
rights, frequencies, file types, planned availability, licences, languages).
"""

from collections.abc import Collection, Iterable
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from zhengtong.kernel.org.models import Department, DepartmentKind, DivisionLevel

from . import vocabularies as vocab
from .models import Dataset, Licence, OpenType, ShareType
from .public import open_data_download_path, sharing_api_path

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ADMS = Namespace("http://www.w3.org/ns/adms#")

FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "pretty-xml"}
MEDIA_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}
PREFIXES = {
    "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "dcatap": DCATAP, "adms": ADMS,
    "skos": SKOS, "xsd": XSD,
}

CATALOG_TITLE = {"zh": "政通公共数据资源目录", "en": "Zhengtong public data resource catalog"}
CATALOG_DESCRIPTION = {
    "zh": "各部门公共数据资源的统一目录（一本账）：数据集的元数据、共享与开放属性、分级分类和表结构。",
    "en": "The single catalog of every department's public data resources: dataset metadata, sharing "
          "and opening conditions, grading and table schemas.",
}
# The catalog's own metadata is free to reuse.
CATALOG_METADATA_LICENCE = Licence.CC0_1_0


class Iris:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}/id/catalog")

    def dataset(self, dataset: Dataset) -> URIRef:
        return URIRef(f"{self.base}/id/dataset/{dataset.resource_code}")

    def distribution(self, dataset: Dataset, name: str) -> URIRef:
        return URIRef(f"{self.base}/id/dataset/{dataset.resource_code}/distribution/{name}")

    def department(self, code: str) -> URIRef:
        return URIRef(f"{self.base}/id/department/{code}")

    def division(self, code: str) -> URIRef:
        return URIRef(f"{self.base}/id/division/{code}")

    def url(self, path: str) -> URIRef:
        return URIRef(f"{self.base}{path}")


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _text(graph: Graph, subject, predicate, zh: str, en: str = "") -> None:
    if zh:
        graph.add((subject, predicate, Literal(zh, lang="zh")))
    if en:
        graph.add((subject, predicate, Literal(en, lang="en")))


def _datetime(value: datetime) -> Literal:
    return Literal(value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds"),
                   datatype=XSD.dateTime)


def _agent(graph: Graph, iris: Iris, department: Department) -> URIRef:
    agent = iris.department(department.code)
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(department.name, lang="zh")))
    graph.add((agent, DCTERMS.type, URIRef(vocab.PUBLISHER_TYPE[department.division.level])))
    return agent


def _division(graph: Graph, iris: Iris, division) -> URIRef:
    node = iris.division(division.code)
    graph.add((node, SKOS.prefLabel, Literal(division.name, lang="zh")))
    graph.add((node, DCTERMS.identifier, Literal(division.code)))
    return node


def _licence(graph: Graph, iri: str, adms_type: str) -> URIRef:
    node = URIRef(iri)
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    graph.add((node, DCTERMS.type, URIRef(adms_type)))
    return node


def _distribution(graph, iris, dataset, *, name, fmt, path, licence, zh, en) -> URIRef:
    node = iris.distribution(dataset, name)
    url = iris.url(path)
    graph.add((node, RDF.type, DCAT.Distribution))
    _text(graph, node, DCTERMS.title, zh[0], en[0])
    _text(graph, node, DCTERMS.description, zh[1], en[1])
    graph.add((node, DCAT.accessURL, url))
    if name != "api":
        graph.add((node, DCAT.downloadURL, url))
    graph.add((node, DCTERMS.format, URIRef(f"{vocab.EU_AUTHORITY}file-type/{fmt.eu_code}")))
    graph.add((node, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{fmt.media_type}")))
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCATAP.availability,
               URIRef(f"{vocab.EU_AUTHORITY}planned-availability/{vocab.AVAILABILITY[dataset.status]}")))
    return node


def add_dataset(graph: Graph, iris: Iris, dataset: Dataset, *, public_downloads: Collection[int] | None = None) -> URIRef:
    """The dataset, its publisher, contact point and distributions, added to `graph`.

    `public_downloads` makes the public record the open-data portal publishes: the ids of the
    datasets that have data to download (the others get no download distribution), and no
    distribution for the departments' sharing API."""
    node = iris.dataset(dataset)
    department = dataset.owner_department
    graph.add((node, RDF.type, DCAT.Dataset))
    _text(graph, node, DCTERMS.title, dataset.title, dataset.title_en)
    _text(graph, node, DCTERMS.description, dataset.description, dataset.description_en)
    graph.add((node, DCTERMS.identifier, Literal(dataset.resource_code)))
    graph.add((node, DCTERMS.publisher, _agent(graph, iris, department)))

    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(dataset.contact_name or department.name, lang="zh")))
    graph.add((contact, VCARD["organization-name"], Literal(department.name, lang="zh")))
    if dataset.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))
    if dataset.contact_phone:
        graph.add((contact, VCARD.hasTelephone, URIRef("tel:" + "".join(
            ch for ch in dataset.contact_phone if ch.isdigit() or ch == "+"))))

    for keyword in dataset.keywords:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="zh")))
    if dataset.theme:
        graph.add((node, DCAT.theme, URIRef(vocab.theme_iri(dataset.theme))))
    if dataset.spatial_id:
        graph.add((node, DCTERMS.spatial, _division(graph, iris, dataset.spatial)))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
    graph.add((node, DCTERMS.accessRights,
               URIRef(f"{vocab.EU_AUTHORITY}access-right/{vocab.ACCESS_RIGHTS[dataset.open_type]}")))
    graph.add((node, DCTERMS.accrualPeriodicity,
               URIRef(f"{vocab.EU_AUTHORITY}frequency/{vocab.FREQUENCY[dataset.update_cycle]}")))
    graph.add((node, DCTERMS.language, URIRef(vocab.LANGUAGE_ZH)))
    if dataset.published_at:
        graph.add((node, DCTERMS.issued, _datetime(dataset.published_at)))
    graph.add((node, DCTERMS.modified, _datetime(dataset.updated_at)))

    downloadable = public_downloads is None or dataset.id in public_downloads
    if dataset.open_type != OpenType.NOT_OPEN and downloadable:
        info = vocab.LICENCES[dataset.licence]
        licence = _licence(graph, info.iri, info.adms_type)
        for fmt in (vocab.CSV, vocab.PARQUET):
            distribution = _distribution(
                graph, iris, dataset, name=fmt.code, fmt=fmt, licence=licence,
                path=open_data_download_path(dataset.resource_code, fmt.code),
                zh=(f"{dataset.title}（{fmt.eu_code}）", f"开放数据下载，{fmt.eu_code} 格式。"),
                en=(f"{dataset.title_en} ({fmt.eu_code})" if dataset.title_en else "",
                    f"Open-data download in {fmt.eu_code}."),
            )
            graph.add((node, DCAT.distribution, distribution))
    if dataset.share_type != ShareType.NOT_SHARED and public_downloads is None:
        licence = _licence(graph, iris.url(vocab.SHARING_TERMS_PATH), vocab.SHARING_TERMS_TYPE)
        distribution = _distribution(
            graph, iris, dataset, name="api", fmt=vocab.JSON, licence=licence,
            path=sharing_api_path(dataset.resource_code),
            zh=(f"{dataset.title}（共享接口）", "部门间共享接口，按批准的共享申请调用，经脱敏并记录。"),
            en=(f"{dataset.title_en} (sharing API)" if dataset.title_en else "",
                "The sharing API between departments, called under an approved sharing request, masked and logged."),
        )
        graph.add((node, DCAT.distribution, distribution))
    return node


def dataset_graph(dataset: Dataset, *, base_url: str, public_downloads: Collection[int] | None = None) -> Graph:
    graph = _graph()
    add_dataset(graph, Iris(base_url), dataset, public_downloads=public_downloads)
    return graph


def _catalog_publisher() -> Department | None:
    """The province's big-data bureau runs the catalog."""
    return (
        Department.objects.select_related("division")
        .filter(kind=DepartmentKind.BIG_DATA, division__level=DivisionLevel.PROVINCE)
        .order_by("division__code")
        .first()
    )


def catalog_graph(datasets: Iterable[Dataset], *, base_url: str,
                  public_downloads: Collection[int] | None = None) -> Graph:
    """The catalog with the given datasets (the caller decides which: see selectors)."""
    graph = _graph()
    iris = Iris(base_url)
    catalog = iris.catalog()
    datasets = list(datasets)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _text(graph, catalog, DCTERMS.title, CATALOG_TITLE["zh"], CATALOG_TITLE["en"])
    _text(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION["zh"], CATALOG_DESCRIPTION["en"])
    publisher = _catalog_publisher()
    if publisher is not None:
        graph.add((catalog, DCTERMS.publisher, _agent(graph, iris, publisher)))
        graph.add((catalog, DCTERMS.spatial, _division(graph, iris, publisher.division)))
    else:
        agent = iris.url("/id/platform")
        graph.add((agent, RDF.type, FOAF.Agent))
        graph.add((agent, FOAF.name, Literal(str(settings.PLATFORM_NAME), lang="zh")))
        graph.add((agent, DCTERMS.type, URIRef(vocab.PUBLISHER_TYPE["province"])))
        graph.add((catalog, DCTERMS.publisher, agent))
    graph.add((catalog, FOAF.homepage, iris.url("/")))
    graph.add((catalog, DCTERMS.language, URIRef(vocab.LANGUAGE_ZH)))
    graph.add((catalog, DCTERMS.language, URIRef(vocab.LANGUAGE_EN)))
    graph.add((catalog, DCAT.themeTaxonomy, URIRef(vocab.DATA_THEME_SCHEME)))
    info = vocab.LICENCES[CATALOG_METADATA_LICENCE]
    graph.add((catalog, DCTERMS.license, _licence(graph, info.iri, info.adms_type)))
    issued = [d.published_at for d in datasets if d.published_at]
    if issued:
        graph.add((catalog, DCTERMS.issued, _datetime(min(issued))))
    graph.add((catalog, DCTERMS.modified, _datetime(max((d.updated_at for d in datasets), default=timezone.now()))))
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, iris, dataset, public_downloads=public_downloads)))
    return graph


def serialize(graph: Graph, fmt: str) -> str:
    """Turtle ("ttl"), RDF/XML ("rdf") or JSON-LD ("jsonld", compacted with the usual prefixes)."""
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context={k: str(v) for k, v in PREFIXES.items()}, indent=2)
    return graph.serialize(format=FORMATS[fmt])

