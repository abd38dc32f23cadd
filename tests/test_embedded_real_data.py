"""The embedded real data: committed, rebuilt exactly by its script, and what a fresh clone
without ../shared ranks by default (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shared_data import shared

from geo.io.scb_open import SCB_DESO

ROOT = Path(__file__).resolve().parents[1]


def test_the_embedded_table_is_committed_with_its_source():
    tracked = subprocess.run(["git", "ls-files", "data/scb"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(tracked) == ["data/scb/scb_deso_2022.parquet",
                               "data/scb/scb_deso_2022.parquet.meta.toml"]
    assert SCB_DESO.stat().st_size < 1_500_000
    table = pd.read_parquet(SCB_DESO)
    assert len(table) == 5984 and table["deso"].is_unique
    assert table["kommun"].nunique() == 290


def test_the_build_script_rebuilds_the_committed_table_exactly():
    shared("sweden", "scb_deso2018_2022_wide.csv")
    sys.path.insert(0, str(ROOT / "data"))
    try:
        import build_scb_deso
    finally:
        sys.path.pop(0)
    pd.testing.assert_frame_equal(build_scb_deso.build(), pd.read_parquet(SCB_DESO))


@pytest.mark.parametrize("kommun", ["0126", "0127", "2584", "1280"])
def test_the_embedded_counts_are_the_published_ones(kommun):
    """Summed per kommun, the embedded counts equal SCB's wide table's columns."""
    wide = pd.read_csv(shared("sweden", "scb_deso2018_2022_wide.csv"), dtype={"deso_2018": str})
    wide = wide[wide["deso_2018"].str.startswith(kommun)]
    table = pd.read_parquet(SCB_DESO)
    table = table[table["kommun"] == kommun]
    assert table["lagenheter_hyresratt"].sum() == wide["dwellings_2022_hyresratt"].sum()
    assert table["invanare"].sum() == wide["pop_2022_total"].sum()
    assert table["barn_unga_0_19"].sum() == sum(
        wide[f"pop_2022_age_{a}"].sum() for a in ("0_4", "5_9", "10_14", "15_19"))
    assert table["hh_ensamstaende_med_barn"].sum() == wide["hh_2022_single_with_children"].sum()


def test_a_fresh_clone_without_shared_ranks_real_huddinge_data(tmp_path):
    """`git clone` into a folder with no ../shared beside it, then the command behind the
    README's first command's default data: real SCB data for Huddinge's 22 RegSO."""
    clone = tmp_path / "ren" / "prevmap"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    assert not (clone.parent / "shared").exists()
    out = tmp_path / "k.html"
    done = subprocess.run([sys.executable, "-m", "geo.cli", "export", "--out", str(out)],
                          cwd=clone, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "PREVMAP_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    ranking = pd.read_csv(out.with_suffix(".csv"), sep=";", decimal=",", encoding="utf-8-sig",
                          dtype={"Områdeskod": str})
    assert len(ranking) == 22 and ranking["Sammanvägt index"].notna().all()
    assert ranking["Datakälla"].str.startswith("SCB:s öppna statistik per DeSO").all()
    assert "SYNTETISKA" not in done.stderr


APP_CHECK = '''
from streamlit.testing.v1 import AppTest


def main():
    at = AppTest.from_file("app.py", default_timeout=300).run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Sammanvägt index" in d.value.columns)
    assert not any("SYNTETISKA" in w.value for w in at.warning)
    print(at.radio(key="indicator_source").value, len(table), table["Områdeskod"].iloc[0])


if __name__ == "__main__":
    main()
'''


def test_a_fresh_clone_without_shared_opens_the_app_on_real_data(tmp_path):
    """What `make run` starts, from a clone with no ../shared beside it: the app's first
    page ranks Huddinge's 22 RegSO on the embedded SCB data (the top one as the command
    line's default ranks it)."""
    clone = tmp_path / "ren" / "prevmap"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    (clone / "check_app.py").write_text(APP_CHECK, encoding="utf-8")
    done = subprocess.run([sys.executable, "check_app.py"], cwd=clone, capture_output=True,
                          text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "PREVMAP_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-3000:]
    source, rows, top = done.stdout.split()[-3:]
    assert (source, rows) == ("scb_open", "22")
    expected = subprocess.run(
        [sys.executable, "-m", "geo.cli", "export", "--out", str(tmp_path / "k.html")],
        cwd=clone, capture_output=True, text=True, timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert expected.returncode == 0, expected.stderr
    ranking = pd.read_csv(tmp_path / "k.csv", sep=";", decimal=",", encoding="utf-8-sig",
                          dtype={"Områdeskod": str})
    assert top == ranking["Områdeskod"].iloc[0]
