"""Compile every locale/**/django.po to .mo with polib (no dependency on GNU gettext)."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
    po_file = polib.pofile(str(po_path))
    po_file.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.relative_to(ROOT)} ({po_file.percent_translated()}% translated)")
