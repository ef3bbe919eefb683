"""borderland.trade.flows: reading, normalising and matching flows; by hand, then on the bundled data."""

import pandas as pd
import pytest

from borderland import io, trade
from borderland.errors import SchemaError
from tests.trade_support import USD, bundled_flows, flow_table


def test_bilateral_indicator_names_become_flows():
    table = pd.DataFrame({
        "region_id": ["A0", "A0", "A1", "A1", "B3", "A0"],
        "indicator": ["goods_trade_turnover_with:B3 (Region three) [period: January-May]",
                      "imports_from:BB (the whole country)", "exports_to:B4", "share_of_b_in_trade",
                      "smuggling_with:A0", "exports_to:B5"],
        "year": ["2024", "2018", "2019", "2019", "2019", "n/a"],
        "value": ["150.5", "155.3", "7", "51.4", "1", "3"],
        "unit": USD, "source": ["https://a.example", "https://b.example", "s3", "s4", "s5", "s6"],
        "note": ["n1", "n2", "", "", "", ""],
    }, index=[10, 11, 12, 13, 14, 15])
    flows, skipped = trade.flows_from_indicators(table, source_table="t.csv")
    assert list(flows.columns) == list(trade.FLOW_COLUMNS)
    assert flows[["origin", "destination", "flow_type", "period", "partner_label", "reporter", "source_row"]
                 ].values.tolist() == [
        ["A0", "B3", "turnover", "January-May", "Region three", "A0", 10],
        ["BB", "A0", "imports", "year", "the whole country", "A0", 11],  # goods run BB -> A0
        ["A1", "B4", "exports", "year", "", "A1", 12]]
    assert flows["value"].tolist() == [150.5, 155.3, 7.0]
    assert flows[["source", "note", "source_table"]].iloc[0].tolist() == ["https://a.example", "n1", "t.csv"]
    assert len(skipped) == 2
    assert "t.csv row 14 (B3, 'smuggling_with:A0'): not a bilateral name" in skipped[0]
    assert "t.csv row 15" in skipped[1] and "is not a number" in skipped[1]


def test_published_partner_rows_become_flows_or_are_reported():
    table = pd.DataFrame({
        "subject": ["A0", "A0", "A0", "A0"], "partner": ["", "B3", "B4", "BB"],
        "indicator": ["sme_exports", "export_growth_rate", "export_growth_rate", "export_concentration_top5"],
        "year": ["2018", "2018", "2018", "2018"], "value": ["0.6", "121.8", "93.1", "87.5"],
        "unit": ["billion USD", "% of previous year", "% of previous year", "%"],
        "source": ["A study of trade", "same study", "same study", "same study"], "note": ["", "", "which?", ""],
    })
    flows, skipped = trade.flows_from_published(table)
    assert flows[["origin", "destination", "value", "flow_type", "basis", "source_row"]].values.tolist() == [
        ["A0", "B3", 121.8, "growth_rate", "exports", 1], ["A0", "B4", 93.1, "growth_rate", "exports", 2]]
    assert flows["source"].tolist() == ["same study: A study of trade"] * 2
    assert flows["note"].tolist() == ["", "which?"]
    assert skipped == ("published_figures row 3 (A0 -> BB, 'export_concentration_top5'): "
                       "not a flow measure (not a key of the flow measures)",)


def test_strongest_flows_ranks_one_type_and_unit_only():
    flows = flow_table([("A0", "B3", 10, USD, 2021, "exports"), ("B4", "A2", 30, USD, 2021, "exports"),
                        ("A0", "A1", 20, USD, 2021, "exports"), ("A0", "BB", 5, "%", 2021, "growth_rate")])
    assert trade.strongest_flows(flows, 2, flow_type="exports")["value"].tolist() == [30.0, 20.0]
    with pytest.raises(SchemaError, match=r"cannot rank flows of different types or units together "
                                          r"\(exports in 'million USD'; growth_rate in '%'\); choose a flow_type"):
        trade.strongest_flows(flows, 2)
    with pytest.raises(SchemaError, match="top must be at least 1, not 0"):
        trade.strongest_flows(flows, 0, flow_type="exports")


def test_normalise_flows_reports_every_problem():
    bad = pd.DataFrame({"origin": ["A0", None], "destination": ["B3", "B4"], "value": ["x", "2"],
                        "flow_type": ["exports", "smuggling"]})
    with pytest.raises(SchemaError, match=r"flow table: 3 problem\(s\)") as caught:
        trade.normalise_flows(bad)
    message = str(caught.value)
    assert "unknown flow_type ['smuggling']" in message and "value is not a number in row(s) [0]" in message
    assert "origin or destination is empty in row(s) [1]" in message
    with pytest.raises(SchemaError, match="flow table lacks column"):
        trade.normalise_flows(pd.DataFrame({"origin": ["A0"]}))


def test_match_flows_reports_unmatched_and_never_reassigns(regions):
    flows = flow_table([("A0", "B3", 1, USD, 2021, "exports"), ("A0", "BB", 2, USD, 2021, "turnover"),
                    ("A0", "BB-9", 3, USD, 2021, "exports"), ("a1", "B4", 4, USD, 2021, "exports"),
                    ("A0", "A1", 5, USD, 2021, "exports"), ("ZZ", "B3", 6, USD, 2021, "exports")])
    matched, report = trade.match_flows(flows, regions, focus_country="BB")
    assert matched["origin_kind"].tolist() == ["region", "region", "region", "unmatched", "region", "unmatched"]
    assert matched["destination_kind"].tolist() == ["region", "country", "unmatched", "region", "region", "region"]
    assert matched["matched"].tolist() == [True, True, False, False, True, False]
    assert matched["cross_border"].tolist() == [True, True, False, False, False, False]
    assert matched["partner_is_country"].tolist() == [False, True, False, False, False, False]
    assert matched["segment"].tolist() == ["BB-AA", "BB-AA", "", "", "", ""]
    # the unknown code stays where it was: nothing is moved to a similar region
    assert matched.loc[2, "destination"] == "BB-9"
    assert report.unmatched == {
        "BB-9": "not a study region; country BB is in the study, but the flow is not reassigned to another region",
        "ZZ": "neither a study region nor a study country",
        "a1": "differs only in case or spaces from A1",
    }
    assert (report.flows, report.matched, report.countries) == (6, 3, ("BB",))
    assert report.regions == ("A0", "A1", "B3", "B4")
    assert "codes not in the study (flows kept, not drawn): 3" in report.summary()
    assert matched.loc[0, "label"] == "Region A0 (A0) → Region B3 (B3): exports 1 million USD, 2021"
    assert matched.loc[1, "label"] == "Region A0 (A0) ↔ BB (BB): turnover 2 million USD, 2021"


# ---- the bundled data ------------------------------------------------------------------------

MOGILEV_STUDY = "Study of SME foreign economic activity of the Mogilev region within Russia-Belarus integration"


@pytest.mark.parametrize(
    ("destination", "value"),
    [("RU-SMO", 121.8), ("RU-BRY", 114.9), ("RU-SPE", 136.4), ("RU-LEN", 86.1), ("RU-ROS", 104.5)],
    ids=["Smolensk", "Bryansk", "St-Petersburg", "Leningrad", "Rostov"],
)
def test_mogilev_export_growth_carries_the_published_values(destination, value):
    flows, _ = bundled_flows()
    row = flows[(flows.origin == "BY-MA") & (flows.destination == destination)]
    assert len(row) == 1
    row = row.iloc[0]
    assert (row.value, row.unit, row.year, row.flow_type, row.basis) == (
        value, "% of previous year", 2018, "growth_rate", "exports")
    assert row.source.startswith("same study: " + MOGILEV_STUDY)
    assert row.matched and row.cross_border and row.segment == "RU-BY" and not row.partner_is_country
    assert row.source_table == "published_figures.csv"


@pytest.mark.parametrize(
    ("partner", "value", "year", "period", "source"),
    [("BY-MA", 62.6, 2024, "year", "bryanskaya-delegacziya-obsudila-perspektivy-sotrudnichestva-s-mogilevskoj"),
     ("BY-HO", 150.5, 2024, "January-May", "https://guberniya.tv/obshhestvo/284509"),
     ("BY", 970.0, 2017, "year", "https://gorodbryansk.info/2018/11/blr-25/"),
     ("BY", 530.0, 2018, "January-June", "https://gorodbryansk.info/2018/11/blr-25/")],
    ids=["Mogilev", "Gomel", "Belarus-2017", "Belarus-H1-2018"],
)
def test_bryansk_turnover_carries_the_published_values(partner, value, year, period, source):
    flows, _ = bundled_flows()
    row = flows[(flows.origin == "RU-BRY") & (flows.destination == partner) & (flows.year == year)].iloc[0]
    assert (row.value, row.unit, row.flow_type, row.period) == (value, "million USD", "turnover", period)
    assert source in row.source
    assert row.note.startswith("VERBATIM FIGURE QUOTED IN A NEWS/PRESS PAGE")
    assert row.partner_is_country == (partner == "BY")
    assert row.source_table == "indicators.csv"


def test_every_bundled_flow_traces_to_its_source_row():
    flows, _ = bundled_flows()
    raw = {"indicators.csv": io.read_table(io.bundled("indicators.csv")),
           "published_figures.csv": io.read_table(io.bundled("published_figures.csv"))}
    for flow in flows.itertuples():
        source_row = raw[flow.source_table].loc[flow.source_row]
        assert float(source_row["value"]) == flow.value
        assert source_row["indicator"] == flow.indicator
        # published rows that cite "same study" keep those words, followed by the study they point to
        assert flow.source.startswith(source_row["source"])
        assert flow.note == ("" if pd.isna(source_row["note"]) else source_row["note"])


def test_bundled_moscow_is_reported_unmatched_not_reassigned():
    flows, report = bundled_flows()
    assert report.unmatched == {"RU-MOW": "not a study region; country RU is in the study, but the flow is not "
                                          "reassigned to another region"}
    moscow = flows[flows.destination == "RU-MOW"]
    assert moscow["value"].tolist() == [93.1, 111.2] and not moscow["matched"].any()
    assert "which of Moscow city and Moscow oblast each figure belongs to is not stated" in moscow["note"].iloc[0]
    assert not ((flows.origin == "RU-MOS") | (flows.destination == "RU-MOS")).any()
    assert (report.flows, report.matched) == (15, 13)
    assert report.countries == ("BY", "RU")
    assert len(report.skipped) == 13  # 3 Mogilev concentration/count rows, 10 expert ratings
