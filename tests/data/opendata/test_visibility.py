"""Which datasets the portal holds at all: only published, openable ones; the rest have no row."""

from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.catalog import services as catalog_services
from zhengtong.data.catalog.models import Dataset
from zhengtong.data.opendata.models import OpenDataset, OpenTier
from zhengtong.data.opendata.selectors import OpenFilters, open_dataset_search
from zhengtong.data.opendata.visibility import open_dataset_sync, region_of
from zhengtong.kernel.search.models import SearchDocument

from .conftest import SYSTEM, Codes


def test_only_openable_published_datasets_have_a_public_face(open_world_unserved):
    public = dict(OpenDataset.objects.values_list("resource_code", "tier"))
    assert public == {Codes.OPEN: OpenTier.OPEN, Codes.APPLY: OpenTier.ON_APPLICATION, Codes.NINGBO: OpenTier.OPEN}
    assert set(SearchDocument.objects.filter(kind="open_dataset").values_list("key", flat=True)) == set(public)


def test_the_public_face_carries_region_version_and_masked_fields(open_world_unserved):
    row = OpenDataset.objects.get(resource_code=Codes.OPEN)
    assert (row.name, row.department_code, row.region_code, row.version, row.row_count) == (
        Codes.OPEN.lower(), "330106-SJ", "330100", 1, 30)
    masked = [f["name"] for f in row.schema["fields"] if f.get("masked")]
    assert masked == ["contact_mobile"]
    assert OpenDataset.objects.get(resource_code=Codes.NINGBO).region_code == "330200"
    assert (region_of("330000"), region_of("330203"), region_of("330106004")) == ("330000", "330200", "330100")


def test_reclassifying_a_dataset_to_not_open_removes_it_everywhere(open_world_unserved):
    dataset = Dataset.objects.get(resource_code=Codes.OPEN)
    catalog_services.dataset_update(actor=SYSTEM, dataset=dataset, open_type="not_open")
    assert open_dataset_sync(dataset.id) is None
    assert not OpenDataset.objects.filter(resource_code=Codes.OPEN).exists()
    assert not SearchDocument.objects.filter(kind="open_dataset", key=Codes.OPEN).exists()
    page = open_dataset_search(query="食品经营许可")
    assert Codes.OPEN not in [d.resource_code for d in page.results]


def test_search_facets_count_only_public_datasets(open_world_unserved):
    page = open_dataset_search(filters=OpenFilters())
    assert page.total == 3
    facets = {f.name: {v.value: v.count for v in f.values} for f in page.facets}
    assert facets["department"] == {"330106-SJ": 2, "330200-GA": 1}
    assert facets["region"] == {"330100": 2, "330200": 1}
    assert facets["tier"] == {"open": 2, "on_application": 1}
    assert facets["format"] == {}  # nothing served yet
    narrowed = open_dataset_search(filters=OpenFilters(region=("330200",)))
    assert [d.resource_code for d in narrowed.results] == [Codes.NINGBO]
    found = open_dataset_search(query="个体工商户")
    assert [d.resource_code for d in found.results] == [Codes.APPLY]
    assert dataset_get(resource_code=Codes.SECRET) is not None  # it exists, just not here
