import re

_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def assert_no_inline_code(html: str):
    """The page keeps to the strict CSP: scripts only from files, no inline style."""
    for attributes, body in _SCRIPT_TAG.findall(html):
        assert "src=" in attributes, f"inline script: <script{attributes}>"
        assert not body.strip(), f"script with inline code: {body[:80]!r}"
    assert "<style" not in html.lower(), "inline <style> element"
    assert not re.search(r"\sstyle\s*=", html, re.I), "inline style attribute"
