"""The page CSP as a pure function of the settings (tile hosts, frame-ancestors, reports)."""

from __future__ import annotations

from gis.settings import Settings
from web_map.page import render_template, strip_controls
from web_map.security import content_security_policy, page_headers, tile_hosts


def test_tile_hosts_from_settings_malformed_dropped():
    settings = Settings(tile_hosts="https://tuiles.example.org http://localhost:8080/ bad;host https://a b'c",
                        frame_ancestors="'self' https://*.dac.example; script-src *")
    assert tile_hosts(settings) == ("https://tuiles.example.org", "http://localhost:8080", "https://a")
    csp = content_security_policy(settings)
    assert "img-src 'self' data: https://tuiles.example.org http://localhost:8080 https://a;" in csp
    assert "frame-ancestors 'self' https://*.dac.example script-src *;" in csp  # no new directive injected
    assert csp.count("script-src") == 2 and "script-src 'self';" in csp


def test_docs_csp_only_loosens_styles_and_workers():
    strict = page_headers(Settings())["Content-Security-Policy"]
    docs = page_headers(Settings(), inline_styles=True, workers=True)["Content-Security-Policy"]
    assert "'unsafe-inline'" not in strict and "worker-src" not in strict
    assert "style-src 'self' 'unsafe-inline'" in docs and "worker-src 'self' blob:" in docs
    assert "script-src 'self';" in docs


def test_templates_strip_control_characters_and_escape():
    html = render_template("error.html", title='T"\x00<b>', message="x\x07y", status_code=422, back_url=None,
                           back_label="", css=[])
    assert "<title>T&#34;&lt;b&gt;</title>" in html and "xy" in html and "\x00" not in html
    assert strip_controls("a\x00b") == "ab" and strip_controls(3) == 3
