"""The workflow graph on the public editorial policy page, as Chromium draws it on a
1280-pixel screen: every label of the picture at 12 pixels or more (they were about 7 when
the graph was laid out left to right and shrunk into the reading column)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SVG = "{http://www.w3.org/2000/svg}"


def test_the_policy_pages_workflow_graph_labels_render_at_twelve_pixels_or_more(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    # when a reader opens the editorial policy page
    page.goto(page.base_url + "/editorial-policy/")
    image = page.locator(".workflow-graph img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    # then the picture is drawn at this scale: its rendered width over its own (viewBox) width
    drawing = page.request.get(page.base_url + image.get_attribute("src"))
    root = ET.fromstring(drawing.body())
    view_width = float(root.get("viewBox").split()[2])
    rendered = image.bounding_box()
    scale = rendered["width"] / view_width
    # and its smallest label, in the picture's own units, is 12 pixels or more on the screen
    sizes = [float(text.get("font-size")) for text in root.iter(f"{SVG}text")]
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "Under review" in labels and "request changes" in labels
    assert min(sizes) * scale >= 12, (min(sizes), scale, rendered)
    # and it stays inside the page: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert re.fullmatch(r"[\d.]+pt", root.get("width")), root.get("width")
    folder = settings.VAR_DIR / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(".workflow-graph").screenshot(path=str(folder / "policy-workflow-graph-1280.png"))
