"""An installed wheel — not only the editable checkout the README uses — brings the
shipped layouts and runbooks along, and warroom finds them there."""

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_wheel_install_finds_the_shipped_layouts_and_runbooks(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True,
        timeout=240,
    )
    [wheel] = wheels.glob("warroom-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    [packages] = target.glob("lib/python*/site-packages")
    # The dependencies come from this environment; warroom itself only from the wheel.
    (packages / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = target / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        timeout=240,
    )
    env = dict(os.environ, WARROOM_HOME=str(tmp_path / "home"))
    probe = (
        "import json, warroom; from warroom.tui.layouts import load_layouts;"
        "from warroom.config import Paths;"
        "print(json.dumps([warroom.__file__, sorted(load_layouts(Paths().layouts).by_name)]))"
    )
    found = subprocess.run(
        [python, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    module, layouts = json.loads(found.stdout)
    assert str(target) in module  # not the checkout
    assert {"commander", "compact", "responder", "scribe"} <= set(layouts)
    listed = subprocess.run(
        [target / "bin" / "warroom", "runbooks", "list", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    shipped = {path.stem for path in (REPO / "runbooks").glob("*.md")} - {"README"}
    assert shipped <= {entry["id"] for entry in json.loads(listed.stdout)["runbooks"]}
