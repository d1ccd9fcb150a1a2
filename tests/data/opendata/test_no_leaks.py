"""L4 datasets, the negative list (不予开放) and drafts never appear on any public channel: not in
search results, snippets, facet counts, sitemaps, API listings, machine-readable exports or error
messages. Each channel is asked the way a visitor or a harvester would, including directly by the
hidden dataset's code, name and id, and every answer is searched for any trace of them."""

import json
from urllib.parse import quote

import pytest

from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.opendata.ckan import resource_id as ckan_resource_id
from zhengtong.data.opendata.models import OpenDataset

from .conftest import DATASETS, HIDDEN_WORDS, Codes

HIDDEN = (Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT)
PUBLIC = (Codes.OPEN, Codes.APPLY, Codes.NINGBO)


def traces() -> list[str]:
    """Every string that would give a hidden dataset away: words, codes, names, ids, titles."""
    found = list(HIDDEN_WORDS)
    for code in HIDDEN:
        ref = dataset_get(resource_code=code)
        found += [code, code.lower(), str(ref.public_id), DATASETS[code]["title"]]
    return found


def assert_clean(label: str, body: str, *, echoed: str = "") -> None:
    """No trace in `body`, apart from `echoed`: what the visitor asked for, shown back to them."""
    leaked = [t for t in traces() if t in (body.replace(echoed, "") if echoed else body)]
    assert not leaked, f"{label} leaks {leaked}"


def text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.fixture
def hidden_ids():
    return {code: dataset_get(resource_code=code).public_id for code in HIDDEN}


def echoed_word(url: str, status: int) -> str:
    """What of the visitor's own request an answer may show back: the search words on a search
    page, and the identifier asked for in a not-found answer."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    if status == 404:
        segment = [p for p in parts.path.split("/") if p][-1]
        if segment in ("records", "apply", "datapackage.json") or segment.startswith("download."):
            segment = [p for p in parts.path.split("/") if p][-2]
        return segment.rsplit(".", 1)[0] if segment.endswith((".ttl", ".jsonld", ".rdf")) else segment
    return parse_qs(parts.query).get("q", [""])[0]


def portal_urls(hidden_ids) -> list[str]:
    urls = ["/opendata/", "/opendata/?q=", "/sitemap.xml", "/opendata/catalog.ttl", "/opendata/catalog.jsonld",
            "/opendata/catalog.rdf", "/opendata/index/", "/opendata/requests/", "/opendata/showcases/"]
    for word in HIDDEN_WORDS:
        urls.append(f"/opendata/?q={quote(word)}")
    for facet in ("department=330106-GA", "theme=JUST", "tier=open", "region=330100"):
        urls.append(f"/opendata/?{facet}")
    for code in HIDDEN:
        urls += [f"/opendata/datasets/{code}/", f"/opendata/datasets/{code.lower()}/",
                 f"/opendata/datasets/{hidden_ids[code]}/", f"/opendata/datasets/{code}/download.csv",
                 f"/opendata/datasets/{code}/download.parquet", f"/opendata/datasets/{code}.ttl",
                 f"/opendata/datasets/{code}/datapackage.json", f"/opendata/datasets/{code}/apply/"]
    return urls


def api_urls(hidden_ids) -> list[str]:
    urls = ["/api/v1/open/datasets", "/api/v1/open/datasets?limit=100", "/api/v1/open/datasets?department=330106-GA"]
    for word in HIDDEN_WORDS:
        urls.append(f"/api/v1/open/datasets?q={quote(word)}")
    for code in HIDDEN:
        urls += [f"/api/v1/open/datasets/{code}", f"/api/v1/open/datasets/{code}/records"]
    return urls


def ckan_calls(hidden_ids) -> list[tuple[str, dict]]:
    calls = [("package_list", {}), ("package_search", {"rows": 1000}),
             ("package_search", {"facet.field": json.dumps(["organization", "tags", "groups", "res_format"]),
                                 "rows": 0}),
             ("organization_list", {"all_fields": "true"}), ("group_list", {"all_fields": "true"}),
             ("tag_list", {}), ("status_show", {})]
    for word in HIDDEN_WORDS:
        calls += [("package_search", {"q": word}), ("package_search", {"fq": f"tags:{word}"}),
                  ("tag_list", {"query": word})]
    calls.append(("organization_show", {"id": "330106-ga", "include_datasets": "true"}))
    for code in HIDDEN:
        for ident in (code, code.lower(), str(hidden_ids[code])):
            calls.append(("package_show", {"id": ident}))
        for fmt in ("csv", "json", "parquet", "xlsx"):
            resource_id = ckan_resource_id(hidden_ids[code], fmt)
            calls += [("resource_show", {"id": resource_id}), ("datastore_search", {"resource_id": resource_id})]
        calls.append(("datastore_search", {"resource_id": code}))
    return calls


def test_no_public_channel_shows_a_hidden_dataset(client, open_world, hidden_ids):
    assert set(OpenDataset.objects.values_list("resource_code", flat=True)) == set(PUBLIC)
    for url in portal_urls(hidden_ids) + api_urls(hidden_ids):
        response = client.get(url, HTTP_ACCEPT="*/*")
        assert response.status_code < 500, url
        assert_clean(url, text(response), echoed=echoed_word(url, response.status_code))
    for action, params in ckan_calls(hidden_ids):
        for response in (client.get(f"/api/3/action/{action}", params),
                         client.post(f"/api/3/action/{action}", json.dumps(params), content_type="application/json")):
            assert response.status_code < 500, (action, params)
            # An error may quote the id asked for (CKAN's messages do); nothing else of it may show.
            asked = str(params.get("id") or params.get("resource_id") or params.get("q") or params.get("query") or "")
            body = text(response)
            if response.status_code >= 400 or params.get("q") or params.get("query"):
                body = body.replace(asked, "")
            assert_clean(f"{action} {params}", body)


def test_a_hidden_dataset_and_a_missing_one_get_the_same_answer(client, open_world):
    missing = "330106-GA-99999"
    for template in ("/opendata/datasets/{}/", "/api/v1/open/datasets/{}", "/opendata/datasets/{}/download.csv"):
        hidden_response = client.get(template.format(Codes.SECRET))
        missing_response = client.get(template.format(missing))
        assert hidden_response.status_code == missing_response.status_code == 404, template
        assert text(hidden_response).replace(Codes.SECRET, "X") == text(missing_response).replace(missing, "X")
    hidden_ckan = client.get("/api/3/action/package_show", {"id": Codes.SECRET.lower()}).json()
    missing_ckan = client.get("/api/3/action/package_show", {"id": missing.lower()}).json()
    assert hidden_ckan["success"] is missing_ckan["success"] is False
    assert hidden_ckan["error"]["__type"] == missing_ckan["error"]["__type"] == "Not Found Error"
    assert (hidden_ckan["error"]["message"].replace(Codes.SECRET.lower(), "X")
            == missing_ckan["error"]["message"].replace(missing.lower(), "X"))


def test_counts_everywhere_are_of_public_datasets_only(client, open_world):
    search = client.get("/api/3/action/package_search",
                        {"facet.field": json.dumps(["organization", "tags", "groups"]), "rows": 0}).json()["result"]
    assert search["count"] == len(PUBLIC)
    organizations = {item["name"]: item["count"] for item in search["search_facets"]["organization"]["items"]}
    assert organizations == {"330106-sj": 2, "330200-ga": 1}
    listed = client.get("/api/3/action/organization_list", {"all_fields": "true"}).json()["result"]
    assert {o["name"]: o["package_count"] for o in listed} == {"330106-sj": 2, "330200-ga": 1}
    assert client.get("/api/3/action/package_list").json()["result"] == sorted(c.lower() for c in PUBLIC)
    api = client.get("/api/v1/open/datasets").json()
    assert api["count"] == len(PUBLIC)
