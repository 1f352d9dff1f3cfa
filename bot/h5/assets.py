"""/static/h5/: what the member pages load from Tiefen itself, the JS-SDK and the share card's icon.

A year's caching: each file's name carries its version (jweixin-1.6.0.js, share-icon-1.png), so a
changed file is a new name and no cache ever holds a stale one.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

YEAR = 365 * 24 * 3600
FOLDER = Path(__file__).resolve().parents[2] / "static" / "h5"
SDK, ICON = "jweixin-1.6.0.js", "share-icon-1.png"


class _Versioned(Blueprint):
    def get_send_file_max_age(self, filename: str | None) -> int:
        return YEAR


assets = _Versioned("h5_assets", __name__, static_folder=FOLDER, static_url_path="/static/h5")


@assets.after_request
def cached_for_a_year(response: Response) -> Response:
    if response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
