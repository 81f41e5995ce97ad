"""Start-up: say when documents cannot be made, and prepare the desk font once per machine."""

import logging

from django.core import checks

from documents import fonts

logger = logging.getLogger(__name__)


def cjk_font_check(app_configs, **kwargs):
    """A warning (shown by migrate, runserver and `make run`) naming the package to install."""
    if fonts.font_available():
        return []
    return [
        checks.Warning(
            "No CJK font found: renewal documents (PDF) cannot be made.",
            hint=f"Install the system package {fonts.APT_PACKAGE} (apt-get install {fonts.APT_PACKAGE}) "
            "or set DOCUMENTS_CJK_FONT to a TrueType/OpenType CJK font file.",
            id="documents.W001",
        )
    ]


def prepare_font_after_migrate(sender, **kwargs):
    """After migrate (make run, the test database), build the cached desk font if it is not there
    yet (~10 s once per machine), so no customer's first download waits for it. Never fails migrate."""
    if not fonts.font_available():
        return
    try:
        fonts.desk_font()
    except Exception:  # a broken font file must not stop the migration; issuing will say so
        logger.exception("could not prepare the documents' desk font")
