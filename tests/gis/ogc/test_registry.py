"""The collection registry: visibility rules fail closed, every property is sortable and filterable."""

from __future__ import annotations

import json

import pytest

from gis.layers.ogc import cql, features, registry
from gis.layers.ogc.features import ItemsQuery

PUBLIC = "NOT o.unite_sensible AND o.statut <> 'fermee'"


@pytest.mark.parametrize("coll", registry.COLLECTIONS.values(), ids=lambda c: c.id)
def test_offers_are_public_only_and_contacts_never_exposed(coll):
    if "offre o" in coll.source:
        assert PUBLIC in coll.source
    assert "contacts" not in coll.source and "unite_sensible AS" not in coll.source


@pytest.mark.parametrize("coll", registry.COLLECTIONS.values(), ids=lambda c: c.id)
def test_every_property_sorts_and_filters(fconn, coll):
    for prop in coll.props:
        for direction in ("", "-"):
            q = ItemsQuery(limit=3, sortby=[direction + prop.name], properties=[prop.name])
            matched, returned, feats = features.items(fconn, coll, q)
            assert returned == len(json.loads(feats)) <= 3
        q = ItemsQuery(limit=1, filter=cql.parse(f"{prop.name} IS NULL OR {prop.name} IS NOT NULL"))
        assert features.items(fconn, coll, q)[0] == matched


def test_unknown_collection():
    from gis.errors import NotFound

    with pytest.raises(NotFound):
        registry.get("offres_sensibles")
