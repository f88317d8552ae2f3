import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_follows_a_citation_to_its_reference_and_back(browser_page, tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    page = browser_page
    page.goto(page.base_url + "/articles/baclofen-muscle-cramping/")
    assert page.title() == "What is the role of baclofen in treating muscle cramping?"
    page.locator("sup.citation a[href='#ref-2']").first.click()
    assert page.url.endswith("#ref-2")
    assert "Drug label" in page.locator("#ref-2").text_content()
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)
    assert (tmp_path / "article.png").stat().st_size > 10_000
    assert page.dialogs == []
