"""The analyst walkthrough notebook runs from top to bottom and writes its exports."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
WRITTEN = re.compile(r"^Skrev (.+) \((\d+) byte\)$", re.MULTILINE)


def this_interpreter_kernel(directory: Path) -> KernelManager:
    """A "python3" kernel that runs the interpreter running the tests (the project's .venv).

    The kernelspec found on the machine may point at another Python without the project
    installed, so the test brings its own.
    """
    spec_dir = directory / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (prevmap tests)", "language": "python"}), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(directory / "kernels")])
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)


def stream_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "syntetiska demodata" in nb.cells[0].source.lower()


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # One extra cell, in memory only: which Python ran the notebook.
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)",
                                              id="test-interpreter"))
    km = this_interpreter_kernel(tmp_path_factory.mktemp("jupyter"))
    client = NotebookClient(nb, km=km, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()   # raises CellExecutionError on the first failing cell
    return nb


def test_notebook_runs_without_errors(executed: nbformat.NotebookNode) -> None:
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]

    assert not [o for o in outputs if o.output_type == "error"]
    assert all(c.execution_count is not None for c in executed.cells if c.cell_type == "code")
    text = "".join(stream_text(c) for c in executed.cells if c.cell_type == "code")
    assert "Syntetiska demodata: True" in text
    assert "Samma inställningar: True" in text
    assert "Samma rangordning efter omkörning: True" in text
    shared = ROOT.parent / "shared" / "data" / "huddinge" / "scb_deso2018_2022_0126_wide.csv"
    if shared.exists():
        assert "60 DeSO -> 22 RegSO; alla områden matchade: True" in text
        top5 = re.search(r"Högst behov \(riktiga SCB-data\): (.+)", text).group(1)
        assert set(top5.split(", ")) == {"Flemingsberg västra", "Flemingsberg östra",
                                         "Skogås västra", "Vårby gård", "Vårby Haga-Masmo"}
    else:
        assert "Avsnittet hoppas över" in text


def test_notebook_runs_in_this_interpreter(executed: nbformat.NotebookNode) -> None:
    assert stream_text(executed.cells[-1]).strip() == sys.executable


def test_notebook_export_writes_the_three_files(executed: nbformat.NotebookNode) -> None:
    text = "".join(stream_text(c) for c in executed.cells if c.cell_type == "code")
    written = [(Path(p), int(size)) for p, size in WRITTEN.findall(text)]
    assert [p.name for p, _ in written] == ["huddinge_behov.html", "huddinge_behov.csv",
                                            "huddinge_behov.settings.toml"]
    export_dir = written[0][0].parent
    try:
        for path, size in written:
            assert path.is_file(), path
            assert path.stat().st_size == size > 0
        csv = written[1][0].read_text(encoding="utf-8-sig")
        assert csv.startswith("Rang;Områdeskod;Område;Prioritet;Sammanvägt index;")
        assert len(csv.splitlines()) == 1 + 22
        assert 'name = "Bred prevention, kriminalitet x 3"' in written[2][0].read_text("utf-8")
        assert "SYNTETISKA DEMODATA" in written[0][0].read_text(encoding="utf-8")
    finally:
        assert export_dir.name.startswith("prevmap-genomgang-")
        shutil.rmtree(export_dir)
