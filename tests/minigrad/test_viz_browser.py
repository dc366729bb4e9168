"""The explorer page in a real browser: Debian's chromium driven by Playwright.

One 2-layer LSTM at T = 100 is traced, written as a page and opened once; the tests
then check what a person would: no console errors, no network request, interactive
quickly, every op there, the engine's gradient norms on hover, and the backward replay
in the engine's order. Set MINIGRAD_SCREENSHOTS=docs/images to keep the screenshots
as the docs figures.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.viz as viz
import rnn
from minigrad.viz.walk import walk

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(
        sync_playwright is None, reason="playwright is not installed (pip install -e '.[dev]')"
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium browser (bash .ci/setup installs Debian's chromium)"
    ),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]

T, LAYERS = 100, 2


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """The model, its loss, the engine's own backward order (from hooks) and the page."""
    minigrad.manual_seed(0)
    lstm = rnn.LSTM(3, 8, num_layers=LAYERS, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((T, 1, 3)))
    engine_order: list[int] = []
    with viz.trace():
        run = lstm.run(x, keep_steps=True)
        loss = run.output[-1].sum()
        nodes = walk(loss).nodes
        for node in nodes:
            node.hooks = [*(node.hooks or []), lambda g, s=node.seq: engine_order.append(s)]
        h = run.steps[(1, 0)][50][0]  # layer 1's hidden state after step 50
        h.retain_grad()
        loss.backward()
    path = tmp_path_factory.mktemp("explorer") / "lstm.html"
    page = viz.explore(loss, params=dict(lstm.named_parameters()), path=path, title="LSTM")
    return {"nodes": nodes, "order": engine_order, "h": h, "page": page, "path": path}


@pytest.fixture(scope="module")
def browser(traced):
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        tab = b.new_page(viewport={"width": 1400, "height": 820})
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("request", lambda r: requests.append(r.url))
        url = traced["path"].resolve().as_uri()
        tab.goto(url)
        tab.wait_for_function("window.minigradExplorer && window.minigradExplorer.ready")
        yield {"tab": tab, "errors": errors, "requests": requests, "url": url}
        b.close()


def _shot(tab, name: str, tmp_path: Path) -> Path:
    out = Path(os.environ.get("MINIGRAD_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    tab.screenshot(path=str(path))
    return path


def _not_blank(path: Path) -> None:
    import matplotlib.image

    pixels = matplotlib.image.imread(str(path))[..., :3]
    colours = {tuple(c) for c in (pixels[::7, ::7] * 255).astype(int).reshape(-1, 3)}
    assert pixels.std() > 0.05 and len(colours) > 20, (pixels.std(), len(colours))


def test_opens_offline_without_errors_and_quickly(traced, browser):
    tab = browser["tab"]
    assert browser["errors"] == []
    # the page itself is the only thing loaded: scripts, styles and data are inline
    assert [u for u in browser["requests"] if u != browser["url"]] == []
    ready_ms = tab.evaluate("window.minigradExplorer.readyAt")
    print(f"\nexplorer interactive after {ready_ms:.0f} ms ({len(traced['nodes'])} ops)")
    assert ready_ms < 20000  # a hang guard, not a speed test: the figure is printed and reported


def test_every_op_of_the_engine_is_there(traced, browser):
    tab = browser["tab"]
    n = len(traced["nodes"])
    assert n == len(traced["order"]) > 2000  # every node ran its vjp once
    assert tab.evaluate("window.minigradExplorer.opCount") == n
    assert tab.locator(".node.step").count() == T * LAYERS  # collapsed by default
    tab.evaluate("window.minigradExplorer.openAll()")
    assert tab.evaluate("window.minigradExplorer.drawnOps()") == n
    assert tab.locator(".node.step").count() == 0
    tab.click("#close-all")
    assert tab.locator(".node.step").count() == T * LAYERS
    assert browser["errors"] == []


def test_hover_shows_the_engines_gradient_norm(traced, browser, tmp_path):
    tab = browser["tab"]
    h = traced["h"]
    step = tab.evaluate(
        "(seq) => JSON.parse(document.getElementById('data').textContent)"
        ".ops.find(o => o.seq === seq).step",
        h._node.seq,
    )
    tab.click(f"[data-key='step:{step}']")  # a click opens the step in place
    tab.hover(f"[data-key='op:{h._node.seq}']")
    shown = tab.locator("#details .norm").inner_text()
    assert float(shown) == pytest.approx(np.linalg.norm(h.grad), rel=1e-3)
    assert "layer=1/t=50" in tab.locator("#details").inner_text()
    assert "min / mean / max" in tab.locator("#details").inner_text()
    tab.evaluate("(key) => window.minigradExplorer.focus(key)", f"open:{step}")
    tab.hover(f"[data-key='op:{h._node.seq}']")
    _not_blank(_shot(tab, "explorer_step_open.png", tmp_path))
    tab.fill("#search", "weight_hh_l0")
    tab.press("#search", "Enter")
    details = tab.locator("#details").inner_text()
    assert "Gradient sent by each step" in details and "t=99" in details
    assert tab.locator(".node.match").count() == 1
    tab.fill("#search", "")
    tab.click("#close-all")


def test_enter_on_a_step_name_opens_that_step(traced, browser):
    # Before, Enter opened the step of a matching op but only centred a matching step.
    tab = browser["tab"]
    tab.click("#close-all")
    k = tab.evaluate(
        "JSON.parse(document.getElementById('data').textContent)"
        ".steps.findIndex(s => s.scope === 'layer=0/t=42')"
    )
    tab.fill("#search", "t=42")
    tab.press("#search", "Enter")
    assert tab.locator("#found").inner_text() == "2 matches"  # t=42 of both layers
    assert tab.locator("[data-key^='open:']").count() == 1
    assert tab.locator(f"[data-key='open:{k}']").count() == 1
    assert "Click its frame to close it" in tab.locator("#details").inner_text()
    tab.click(f"[data-key='open:{k}'] > rect")  # the frame closes it
    assert tab.locator("[data-key^='open:']").count() == 0
    tab.fill("#search", "")
    assert browser["errors"] == []


def test_animation_visits_nodes_in_the_engines_backward_order(traced, browser, tmp_path):
    tab = browser["tab"]
    tab.click("#reset")
    tab.select_option("#speed", "64")
    tab.click("#play")
    tab.wait_for_function("window.minigradExplorer.done()", timeout=60_000)
    visited = tab.evaluate("window.minigradExplorer.visited()")
    assert visited == traced["order"]
    tab.click("#fit")
    tab.hover("[data-key='step:150']")
    _not_blank(_shot(tab, "explorer_after_backward.png", tmp_path))
    # the slider moves over the time steps backward went through
    tab.click("#reset")
    for _ in range(40):
        tab.click("#step")
    assert len(tab.evaluate("window.minigradExplorer.visited()")) == 40
    assert browser["errors"] == []
