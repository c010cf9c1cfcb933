from boite.stats.privacy import small_figure
from boite.stats.tables import Column, Table


def test_small_patron_counts_become_less_than_five():
    assert [small_figure(n) for n in (0, 1, 4, 5, 120)] == [0, "< 5", "< 5", 5, 120]
    assert small_figure(None) is None
    assert small_figure("Bayeux") == "Bayeux"
    assert small_figure(9, threshold=10) == "< 10"


def test_only_columns_that_count_patrons_are_masked():
    table = Table(
        "t",
        "T",
        [Column("Library", numeric=False), Column("Visits"), Column("Patrons", patrons=True)],
        [["Bayeux", 3, 3], ["Lisieux", 40, 12]],
    )
    assert table.masked_rows() == [["Bayeux", 3, "< 5"], ["Lisieux", 40, 12]]
    assert table.rows[0] == ["Bayeux", 3, 3]  # the page itself keeps exact figures
    assert table.as_dict()["rows"][0][2] == "< 5"
