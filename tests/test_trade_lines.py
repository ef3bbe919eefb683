"""borderland.trade.lines: country points and flow lines; by hand on the strip, then on the bundled data."""

import geopandas as gpd
import pytest
import shapely

from borderland import trade
from borderland.errors import JoinError, SchemaError
from tests.conftest import X0, Y0
from tests.trade_support import USD, bundled_countries, bundled_flows, bundled_regions, flow_table


def test_country_point_lies_in_the_country(regions):
    point = trade.country_point("BB", regions=regions)
    assert shapely.box(X0 + 3000, Y0, X0 + 6000, Y0 + 1000).contains(point)
    # a country layer is preferred when it has the country
    countries = gpd.GeoDataFrame({"country": ["BB"]}, geometry=[shapely.box(X0 + 10000, Y0, X0 + 11000, Y0 + 1000)],
                                 crs=regions.crs)
    assert trade.country_point("BB", regions=regions, countries=countries).x > X0 + 10000
    with pytest.raises(JoinError, match=r"country 'CC' has no polygon in the layers given \(countries: AA, BB\)"):
        trade.country_point("CC", regions=regions)


def test_flow_lines_run_origin_to_destination(regions):
    flows = flow_table([("A0", "B3", 10, USD, 2021, "exports"), ("B4", "A2", 30, USD, 2021, "exports"),
                    ("A0", "A1", 20, USD, 2021, "exports"), ("A0", "BB", 5, USD, 2021, "turnover"),
                    ("A0", "ZZ-1", 99, USD, 2021, "exports")])
    matched, _ = trade.match_flows(flows, regions)
    lines = trade.flow_lines(matched, regions)
    assert isinstance(lines, gpd.GeoDataFrame) and lines.crs == regions.crs
    assert len(lines) == 4  # the flow to ZZ-1 is not drawn
    first = lines.geometry.iloc[0]
    # centres of A0 and B3: x = 0.5 km and 3.5 km, y = 0.5 km; 3 km apart
    assert list(first.coords) == [(X0 + 500, Y0 + 500), (X0 + 3500, Y0 + 500)]
    assert lines["length_km"].iloc[0] == pytest.approx(3.0)
    assert lines["direction"].tolist() == ["origin_to_destination"] * 3 + ["both_ways"]
    cross = trade.flow_lines(matched, regions, cross_border_only=True, flow_type="exports")
    assert cross[["origin", "destination"]].values.tolist() == [["A0", "B3"], ["B4", "A2"]]
    top = trade.flow_lines(matched, regions, flow_type="exports", top=2)
    assert top["value"].tolist() == [30.0, 20.0]
    with pytest.raises(SchemaError, match="cannot rank flows of different types or units together"):
        trade.flow_lines(matched, regions, top=2)
    with pytest.raises(SchemaError, match="unknown flow_type 'smuggling'"):
        trade.flow_lines(matched, regions, flow_type="smuggling")


def test_bundled_cross_border_flows_are_drawn_between_study_places():
    flows, _ = bundled_flows()
    lines = trade.flow_lines(flows, bundled_regions(), countries=bundled_countries(), cross_border_only=True)
    assert len(lines) == 13 and lines.crs.to_epsg() == 3035 and "RU-MOW" not in set(lines.destination)
    # the Vitebsk - Russia turnover runs to a point inside Russia
    countries = bundled_countries()
    russia = countries.loc[countries.country == "RU"].geometry.iloc[0]
    vitebsk = lines[lines.origin == "BY-VI"].geometry.iloc[0]
    assert russia.contains(shapely.Point(vitebsk.coords[-1]))
