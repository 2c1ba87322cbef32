"""The pages a phone opens from an enrollment QR code. The PWA replaces them."""
from flask import Blueprint, render_template_string
from flask_babel import get_locale
from flask_babel import gettext as _

blp = Blueprint("web", __name__)

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wildledger</title></head>
<body style="font-family: system-ui, 'Noto Sans', 'Noto Sans Lao', 'Noto Sans CJK SC', sans-serif;
             max-width: 32rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Wildledger</h1>
<p>{{ headline }}</p>
<p>{{ advice }}</p>
</body></html>"""


@blp.route("/")
@blp.route("/enroll")
def placeholder():
    locale = str(get_locale())
    return render_template_string(
        _PAGE, lang=locale.replace("_", "-"),
        headline=_("The officer app is not installed on this server yet."),
        advice=_("Keep this enrollment code: your supervisor will tell you when to scan it again."))
