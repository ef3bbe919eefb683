"""Build the bundled default study (``geodata/``) from the real sources in ``../shared/data``.

Run from the repository root::

    python geodata/build.py [--source ../shared/data]

Nothing here invents, estimates or fills a value: geometries are selected, re-coded where the
source is known to be wrong (the Moscow code swap), repaired once with
:func:`borderland.layers.repair_coverage`, and reprojected; indicator rows are copied with their
source and note. What the build changed is written to ``geodata/build_report.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from borderland.layers import DEFAULT_CRS, prepare_regions, repair_coverage  # noqa: E402

NEIGHBOURS = ("NO", "FI", "EE", "LV", "LT", "PL")
ISO3_TO_ISO2 = {"NOR": "NO", "FIN": "FI", "EST": "EE", "LVA": "LV", "LTU": "LT", "POL": "PL",
                "BLR": "BY", "UKR": "UA", "RUS": "RU"}
# Far-away islands that belong to Norway's NUTS 2 set but not to the borderland study.
DROPPED_NUTS = {"NO0B": "Svalbard og Jan Mayen (Arctic islands, not part of the land borderland)"}
# Natural Earth boundary lines that are not land borders between the states as the polygons draw them.
DROPPED_LINES = {
    461: "RUS-UKR line across the Crimean isthmus (NE 4.0.0 de facto view; the admin-0 and admin-1 "
         "polygons used here place Crimea in Ukraine)",
    15: "LTU-RUS 'Water Indicator' line in the Curonian Lagoon (not a land border)",
}
NE_ADMIN1 = "Natural Earth 10m admin-1 (v4.1.0 era), TopoJSON copy by Elastic ems-file-service"
NUTS = "Eurostat GISCO NUTS 2024 1:3M level 2 (© EuroGeographics for the administrative boundaries)"
STUDY_MARGIN_M = 300_000


def build_regions(source: Path) -> tuple[gpd.GeoDataFrame, str]:
    admin1 = gpd.read_file(source / "borderland_admin1.gpkg")
    nuts = gpd.read_file(source / "nuts2_2024_03m.gpkg")
    russia = admin1[(admin1["country_iso2"] == "RU") & admin1["ring"].isin([1, 2])].copy()
    # NE swaps the two Moscow codes (PROVENANCE.md): the polygon "Moskovsskaya" is Moscow Oblast.
    swapped = russia["name"].eq("Moskovsskaya") & russia["iso_3166_2"].eq("RU-MOW")
    russia.loc[swapped, "iso_3166_2"] = "RU-MOS"
    oblasts = admin1[admin1["country_iso2"].isin(["BY", "UA"])]
    nuts = nuts[nuts["CNTR_CODE"].isin(NEIGHBOURS) & ~nuts["NUTS_ID"].isin(list(DROPPED_NUTS))]
    frame = pd.concat(
        [
            gpd.GeoDataFrame({"region_id": russia["iso_3166_2"], "name": russia["name"], "country": "RU",
                              "level": "federal_subject", "source": NE_ADMIN1}, geometry=russia.geometry),
            gpd.GeoDataFrame({"region_id": oblasts["iso_3166_2"], "name": oblasts["name"],
                              "country": oblasts["country_iso2"], "level": "oblast", "source": NE_ADMIN1},
                             geometry=oblasts.geometry),
            gpd.GeoDataFrame({"region_id": nuts["NUTS_ID"], "name": nuts["NAME_LATN"],
                              "country": nuts["CNTR_CODE"], "level": "nuts2", "source": NUTS},
                             geometry=nuts.geometry),
        ],
        ignore_index=True,
    ).set_crs("EPSG:4326", allow_override=True)
    regions = prepare_regions(frame, crs=DEFAULT_CRS)
    # NUTS 1:3M and Natural Earth overlap along the borders by up to 1.0 % of a region's area
    # (97 km² of LT01 lies under BY-VI too): above the 1 % a repair may move unasked
    regions, report = repair_coverage(regions, max_repair_pct=2.0)
    # a 1 m grid is far below the 1:3M source accuracy; shared vertices snap alike, so edges stay identical
    regions.geometry = shapely.set_precision(regions.geometry.to_numpy(), 1.0)
    notes = [
        f"Moscow code swap corrected: {int(swapped.sum())} polygon ('Moskovsskaya') re-coded RU-MOW -> RU-MOS",
        *(f"dropped {code}: {why}" for code, why in DROPPED_NUTS.items()),
        report.summary(),
        "area change per region (km², repair only): "
        + ", ".join(f"{k} {v:+.1f}" for k, v in report.area_change_km2.round(1).items() if abs(v) >= 0.1),
    ]
    return regions.reset_index(), "\n".join(f"- {n}" for n in notes)


def build_countries(source: Path, extent: tuple[float, float, float, float]) -> tuple[gpd.GeoDataFrame, ...]:
    countries = gpd.read_file(source / "countries.gpkg", layer="countries_ne10m_5_1_1_deu")
    countries = gpd.GeoDataFrame(
        {"country": countries["ADM0_A3"].map(ISO3_TO_ISO2), "name": countries["NAME_EN"],
         "source": "Natural Earth 10m admin-0 countries 5.1.1 (German point of view)"},
        geometry=countries.geometry, crs=countries.crs,
    )
    # clip in geographic coordinates first: Russia spans the antimeridian, which LAEA cannot hold
    box = shapely.box(5.0, 40.0, 60.0, 72.0)
    countries = countries.clip(box).to_crs(DEFAULT_CRS)
    countries = countries.clip(shapely.box(*extent).buffer(STUDY_MARGIN_M))
    lines = gpd.read_file(source / "countries.gpkg", layer="boundary_lines_land_ne10m_4_0_0")
    lines = lines[~lines["src_row"].isin(list(DROPPED_LINES))]
    lines = gpd.GeoDataFrame(
        {"country_a": lines["adm0_a3_l"].map(ISO3_TO_ISO2), "country_b": lines["adm0_a3_r"].map(ISO3_TO_ISO2),
         "type": lines["type"], "ne_src_row": lines["src_row"],
         "source": "Natural Earth 10m admin-0 boundary lines (land) 4.0.0"},
        geometry=lines.geometry, crs=lines.crs,
    ).to_crs(DEFAULT_CRS)
    return countries.reset_index(drop=True), lines.reset_index(drop=True)


#: Indicators whose one name carries figures of several definitions: Eurostat's and Rosstat's households
#: online (the data's indicators/README.md, comparability warning 1). Each row gets the definition its
#: source states, so that borderland.comparability compares values of one definition only.
DEFINED_INDICATORS = ("households_internet_access", "households_broadband_access")


def row_definition(indicator: str, source: str, note: str) -> str | None:
    """The definition a row's source states, in the source's words; None where it states none."""
    if indicator not in DEFINED_INDICATORS or not isinstance(source, str):
        return None
    if source.startswith("Eurostat isoc_r_"):
        # "Eurostat isoc_r_iacc_h (households with internet access at home), SDMX-CSV ..."
        return source.split("),", 1)[0].replace(" (", ": ", 1)
    if source.startswith("Rosstat") and isinstance(note, str):
        # "Households that had access to the Internet (any type, fixed or mobile); Rosstat ICT household ..."
        return "Rosstat ICT household sample survey: " + note.split(";", 1)[0]
    return None


def build_indicators(source: Path, region_ids: set[str]) -> tuple[pd.DataFrame, str]:
    folder = source / "indicators"
    files = sorted(p for p in folder.glob("*.csv") if p.name != "rosstat_all_subjects.csv")
    tables = [pd.read_csv(p, dtype={"year": str}) for p in files]
    # the all-subjects file repeats the border subjects with identical values: keep it for the rest
    tables.append(pd.read_csv(folder / "rosstat_all_subjects.csv", dtype={"year": str}))
    euro = pd.read_csv(source / "europe" / "isoc_r_iacc_h.csv", dtype={"TIME_PERIOD": str})
    euro = euro[euro["OBS_VALUE"].notna()]
    tables.append(pd.DataFrame({
        "region_code": euro["geo"], "indicator": "households_internet_access", "year": euro["TIME_PERIOD"],
        "value": euro["OBS_VALUE"], "unit": "% of households (PC_HH)",
        "source": "Eurostat isoc_r_iacc_h (households with internet access at home), SDMX-CSV vendored at "
                  "github.com/vedranu/digital-divide-eu-agriculture data/isoc_r_iacc_h.csv "
                  "@02d1a3937a6d0bc52f2f05891f7a96ad791897c4 (LAST UPDATE 25/06/26 23:00:00)",
        "note": euro["OBS_FLAG"].map({"u": "Eurostat flag u: low reliability",
                                      "b": "Eurostat flag b: break in series"}),
    }))
    table = pd.concat(tables, ignore_index=True)
    # Rosstat lists Crimea and Sevastopol under the Ukrainian ISO codes; the region layer places both
    # in Ukraine (de jure), so Russian survey figures there would sit on the Ukrainian side of the divide.
    rosstat_crimea = table["region_code"].isin(["UA-43", "UA-40"]) & table["source"].str.contains("Rosstat", na=False)
    table = table[~rosstat_crimea]
    key = ["region_code", "indicator", "year"]
    # a table value wins over the same figure quoted by a press page (the data README's rule)
    table["press"] = table["note"].fillna("").str.startswith("VERBATIM FIGURE QUOTED")
    table = table.sort_values("press", kind="stable")
    press_dropped = int((table.duplicated(key, keep="first") & table["press"]).sum())
    table = table[~(table.duplicated(key, keep="first") & table["press"])]
    dup = table[table.duplicated(key, keep=False)]
    conflicts = dup.groupby(key)["value"].nunique()
    conflicts = conflicts[conflicts > 1]
    if len(conflicts):
        raise SystemExit(f"sources disagree on {len(conflicts)} values: {conflicts.index.tolist()[:5]}")
    table = table.drop_duplicates(key, keep="first")
    matched = table["region_code"].isin(region_ids)
    unmatched = table.loc[~matched, "region_code"].value_counts()
    tidy = table.loc[matched].rename(columns={"region_code": "region_id"})[
        ["region_id", "indicator", "year", "value", "unit", "source", "note"]
    ].sort_values(["region_id", "indicator", "year"], kind="stable")
    tidy["definition"] = [row_definition(i, s, n) for i, s, n in zip(tidy["indicator"], tidy["source"], tidy["note"],
                                                                       strict=True)]
    notes = [
        f"dropped {int(rosstat_crimea.sum())} Rosstat rows for UA-43 Crimea and UA-40 Sevastopol (the layer places "
        "both in Ukraine; Rosstat survey figures would put Russian statistics on the Ukrainian side)",
        f"{len(table)} distinct (code, indicator, year) rows read from {len(files) + 2} files; "
        f"{int(matched.sum())} match a study region and are kept",
        f"dropped, code not a study region ({len(unmatched)} codes, {int(unmatched.sum())} rows): national totals "
        "(RU, BY, UA), NUTS 1 proxies (PL6, PL8) and Russian subjects outside rings 1-2 and "
        "Eurostat regions outside the six neighbour countries",
        "duplicates across files were checked value for value: no conflicts between statistical tables; "
        f"{press_dropped} press-quoted figure(s) dropped where a table gives the same indicator and year",
        f"definitions stated by their sources added to {int(tidy['definition'].notna().sum())} rows of "
        f"{', '.join(DEFINED_INDICATORS)} (Eurostat: at home; Rosstat: had access), so that the index compares "
        "values of one definition only",
    ]
    return tidy, "\n".join(f"- {n}" for n in notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = parser.parse_args()
    source: Path = args.source
    regions, region_notes = build_regions(source)
    countries, lines = build_countries(source, tuple(regions.total_bounds))
    indicators, indicator_notes = build_indicators(source, set(regions["region_id"]))

    for name in ("regions.gpkg", "countries.gpkg"):
        (HERE / name).unlink(missing_ok=True)
    regions.to_file(HERE / "regions.gpkg", layer="regions", engine="pyogrio")
    countries.to_file(HERE / "countries.gpkg", layer="countries", engine="pyogrio")
    lines.to_file(HERE / "countries.gpkg", layer="border_lines", engine="pyogrio")
    indicators.to_csv(HERE / "indicators.csv", index=False)
    shutil.copyfile(source / "published_figures.csv", HERE / "published_figures.csv")
    shutil.copyfile(source / "gpw_v4_popcount_2000_15min_borderland.tif", HERE / "population_gpw_v4_2000_15min.tif")
    # the second, Europe-wide study ships verbatim: it exists to show that nothing is hard-wired
    (HERE / "europe").mkdir(exist_ok=True)
    for name in ("nuts2_2024_europe.gpkg", "isoc_r_iacc_h.csv", "README.md"):
        shutil.copyfile(source / "europe" / name, HERE / "europe" / name)

    counts = regions.groupby(["country", "level"]).size()
    report = [
        "# Build report (written by geodata/build.py; do not edit by hand)",
        "",
        f"Regions: {len(regions)} ({', '.join(f'{c} {lv} {n}' for (c, lv), n in counts.items())}), CRS {DEFAULT_CRS}.",
        region_notes,
        f"- border lines kept: {len(lines)}; dropped: "
        + "; ".join(f"NE row {k}: {v}" for k, v in DROPPED_LINES.items()),
        "",
        "Indicators:",
        indicator_notes,
        "",
        "Files: " + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in sorted(HERE.iterdir())
                              if p.suffix in (".gpkg", ".csv", ".tif")),
    ]
    (HERE / "build_report.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


if __name__ == "__main__":
    main()
