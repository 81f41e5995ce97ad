"""Documents benchmark: statutory notice PDFs per second for one worker process, and their size.

Runs the day's batch service (documents.services.notice_documents_issue, what the
prepare_notice_documents job calls) over real cases of the seeded book (Chinese names, the Chinese
font embedded) inside a transaction rolled back at the end. Target: the day's notices of the 1M
book (about 3,000) in under 5 minutes by one worker, i.e. >= 10 PDFs/s. Offers (with the quote
table, the explanation and the QR code) are timed too, on cases that have a quote.
"""

import os
import statistics
import time

from django.db import transaction

from bench.common import Report, stopwatch

SAMPLE = 300
DAY_NOTICES = 3_000
TARGET_PER_SECOND = 10.0


class _Rollback(Exception):
    pass


def run(report: Report) -> None:
    from documents import fonts

    if not fonts.font_available():
        report.add("documents", "PDFs per second", "skipped: no CJK font (apt-get install fonts-noto-cjk)")
        return
    with stopwatch() as prepare:
        fonts.desk_font()
    report.note(f"documents: desk font ready in {prepare():.1f} s (built once per machine, then cached)")
    try:
        with transaction.atomic():
            _measure(report)
            raise _Rollback
    except _Rollback:
        pass


def _measure(report: Report) -> None:
    from documents import services
    from documents.models import Document, DocumentKind
    from renewals.models import RenewalCase

    open_cases = RenewalCase.objects.open().filter(customer__preferred_language="zh-hans")
    notice_ids = list(open_cases.order_by("id").values_list("id", flat=True)[:SAMPLE])
    if not notice_ids:
        report.add("documents", "PDFs per second", "skipped: no open cases in the bench book")
        return
    services.document_issue(case_id=notice_ids[0], kind=DocumentKind.NOTICE)  # warm the font and the code
    cpu_before = time.process_time()
    with stopwatch() as elapsed:
        totals = services.notice_documents_issue(case_ids=notice_ids[1:])
    cpu_seconds = time.process_time() - cpu_before
    issued = totals["issued"]
    rate = issued / elapsed()
    sizes = list(Document.objects.filter(kind=DocumentKind.NOTICE).values_list("size", flat=True))
    report.add(
        "documents",
        f"statutory notices (zh-hans), one worker, {issued} PDFs",
        f"{rate:.1f} PDFs/s ({issued / cpu_seconds:.1f} per CPU-second of the worker); "
        f"3,000 in {DAY_NOTICES / rate / 60:.1f} min (load average {os.getloadavg()[0]:.1f})",
        f">= {TARGET_PER_SECOND:g} PDFs/s",
        rate >= TARGET_PER_SECOND,
    )
    report.add(
        "documents",
        "notice PDF size (font subset embedded)",
        f"median {statistics.median(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB",
    )
    offer_ids = list(
        open_cases.filter(current_quote__approval_status__in=("not_required", "approved"))
        .order_by("id")
        .values_list("id", flat=True)[: SAMPLE // 3]
    )
    if offer_ids:
        with stopwatch() as elapsed:
            for case_id in offer_ids:
                services.document_issue(case_id=case_id, kind=DocumentKind.OFFER)
        offer_sizes = list(Document.objects.filter(kind=DocumentKind.OFFER).values_list("size", flat=True))
        report.add(
            "documents",
            f"renewal offers (quote table, explanation, QR), {len(offer_ids)} PDFs",
            f"{len(offer_ids) / elapsed():.1f} PDFs/s, median {statistics.median(offer_sizes) / 1024:.1f} KB",
        )
