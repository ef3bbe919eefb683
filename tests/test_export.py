import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from borderland.errors import OutputError
from borderland.export import write_geopackage


@pytest.fixture
def frames(regions):
    layer = regions.assign(border_order=pd.array([3, 2, 1, 1, 2, None], dtype="Int64"),
                           typology=pd.array(["lagging", None, "leader", "moderate", "leader", None], dtype="string"))
    table = pd.DataFrame({"year": [2020, 2021], "focus": [3, 0]})
    return {"regions": layer, "years": table}


def test_round_trip_keeps_rows_columns_types_and_crs(tmp_path, frames):
    path = write_geopackage(frames, tmp_path / "out.gpkg")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["regions", "years"]
    back = gpd.read_file(path, layer="regions").set_index("region_id")
    assert back.crs.to_epsg() == 3035
    assert list(back.index) == list(frames["regions"].index)
    assert back["border_order"].tolist()[:5] == [3, 2, 1, 1, 2] and pd.isna(back["border_order"].iloc[5])
    assert dict(zip(*(pyogrio.read_info(path, layer="regions")[k] for k in ("fields", "dtypes")), strict=True))[
        "border_order"] == "int64"
    assert back["typology"].isna().tolist() == [False, True, False, False, False, True]
    assert shapely.equals(back.geometry.to_numpy(), frames["regions"].geometry.to_numpy()).all()
    assert pyogrio.read_dataframe(path, layer="years")["focus"].tolist() == [3, 0]


def test_existing_file_is_refused_and_left_intact(tmp_path, frames):
    target = tmp_path / "out.gpkg"
    target.write_bytes(b"earlier results")
    with pytest.raises(OutputError, match="exists already; pass --overwrite"):
        write_geopackage(frames, target)
    assert target.read_bytes() == b"earlier results"


def test_failed_write_leaves_earlier_file_and_no_temporary(tmp_path, frames, monkeypatch):
    target = tmp_path / "out.gpkg"
    target.write_bytes(b"earlier results")
    real_write = pyogrio.write_dataframe

    def fail_on_second_layer(data, path, layer, **kwargs):
        if layer == "years":
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C half way through
        return real_write(data, path, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_second_layer)
    with pytest.raises(KeyboardInterrupt):
        write_geopackage(frames, target, overwrite=True)
    assert target.read_bytes() == b"earlier results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]
