"""Renewal Desk under concurrent load: specialists, support staff and managers (issue 18).

Run by ``bench/b90_load.py`` (5 minutes on the bench book) and ``tests/load/test_locust_smoke.py``
(a short run on the test database), headless with ``--csv``. Every user logs in through the login
form as its own account (``LOAD_USERS_FILE``, written by ``bench.load.setup``) and then posts
exactly what the pages post: the form's field names and prefixes, the CSRF token taken from the
page (the CSRF cookie is HttpOnly), the case's optimistic-lock ``version`` from the page, the
``HX-Request`` header and ``X-CSRFToken`` on htmx requests, ``Origin``/``Referer`` (HTTPS
requires a matching Referer), and the fragments a page loads with ``hx-trigger="load"``.

Request names: ``GET <page>`` and ``POST <write>``, grouped by kind (not by id), so the stats give
one row per request kind. A write that the optimistic lock refuses (the case page then shows the
"conflict" message) is not a failure: it is reported as the request ``CONFLICT <write>`` and counted
apart. Each successful write is appended to ``LOAD_WRITE_LOG`` (JSON lines) so that a checker can
compare the database with what locust saw, independently of the application's code.

Environment: LOAD_USERS_FILE (required), LOAD_WRITE_LOG (optional), LOAD_SAMPLES_FILE (every
response time, for exact overall percentiles), LOAD_COUNTS (users per class: specialists,support,
managers; default 40,5,5), LOAD_THINK_MIN / LOAD_THINK_MAX (a user's pause before each click, a page
or a form post, default 2 and 6 s), LOAD_WARMUP (the figures are reset this many seconds after the last
login, default 0: no reset),
LOAD_STALE_SHARE (share of case visits that also re-post a stale form, default 0.1),
LOAD_ROUND_ROBIN=1 (support and managers take their tasks in turn), LOAD_PASSWORD (default:
DEMO_PASSWORD or the demo's password).
"""

import datetime as dt
import html
import itertools
import json
import os
import random
import re
import threading
import uuid

import gevent
from locust import FastHttpUser, constant, events, task

with open(os.environ["LOAD_USERS_FILE"], encoding="utf-8") as _users:
    USERS = json.load(_users)
PASSWORD = os.environ.get("LOAD_PASSWORD") or os.environ.get("DEMO_PASSWORD") or "renewal-demo-2026"
WRITE_LOG = os.environ.get("LOAD_WRITE_LOG", "")
# A user's pause before each click (a page or a form post): 2-6 s by default, a fast user.
THINK = (float(os.environ.get("LOAD_THINK_MIN", "2")), float(os.environ.get("LOAD_THINK_MAX", "6")))
# Seconds after the start when the figures are reset: the logins (PBKDF2) and cold caches of the
# ramp-up are not part of the measured window.
WARMUP = float(os.environ.get("LOAD_WARMUP", "0"))
STALE_SHARE = float(os.environ.get("LOAD_STALE_SHARE", "0.1"))
# The smoke test's short run: support and managers take their tasks in turn, so each kind runs.
ROUND_ROBIN = os.environ.get("LOAD_ROUND_ROBIN") == "1"

_counters = {role: itertools.count() for role in ("specialist", "support", "manager")}
_log_lock = threading.Lock()

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_CSRF_RE = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
LOAD_FRAGMENT_RE = re.compile(r'<[^>]*\bhx-get="([^"]+)"[^>]*\bhx-trigger="load"')
CASE_LINK_RE = re.compile(r'href="/cases/(\d+)/">([^<]+)</a>')
CUSTOMER_LINK_RE = re.compile(r'href="/complaints/new/\?customer=(\d+)"')
SURVEY_LINK_RE = re.compile(r'href="/complaints/surveys/record/\?customer=(\d+)"')
EXPORT_RE = re.compile(r'href="(/analytics/(?:team/)?export/[a-z_]+\.csv\?[^"]*)"')


def _hidden(page: str, name: str) -> str | None:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def _options(page: str, name: str) -> list[str]:
    """The non-empty option values of the <select name=...> on the page."""
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    if not match:
        return []
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', match.group(1)) if v]


def _input_value(page: str, field_id: str) -> str | None:
    match = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', page)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def log_write(kind: str, **fields) -> None:
    """Append one successful write to the write log (one JSON object a line)."""
    if not WRITE_LOG:
        return
    line = json.dumps({"kind": kind, **fields}, ensure_ascii=False)
    with _log_lock, open(WRITE_LOG, "a", encoding="utf-8") as out:
        out.write(line + "\n")


_samples: dict[str, list[float]] = {"page": [], "write": []}
SAMPLES_FILE = os.environ.get("LOAD_SAMPLES_FILE", "")


@events.request.add_listener
def _keep_sample(request_type, name, response_time, exception, **kwargs):
    """Every successful page (GET) and write (POST other than the login) for exact overall
    percentiles; written to LOAD_SAMPLES_FILE when the run stops."""
    if exception is not None or request_type not in ("GET", "POST") or name in ("GET login", "POST login"):
        return
    _samples["page" if request_type == "GET" else "write"].append(response_time)


_logged_in = [0]


@events.test_start.add_listener
def _reset_after_warmup(environment, **kwargs):
    """Reset the figures WARMUP seconds after the last user has logged in."""
    if WARMUP <= 0:
        return

    def reset():
        expected = sum(cls.fixed_count for cls in (Specialist, Support, Manager))
        while _logged_in[0] < expected:
            gevent.sleep(0.5)
        gevent.sleep(WARMUP)
        environment.stats.reset_all()
        for samples in _samples.values():
            samples.clear()

    gevent.spawn(reset)


@events.test_stop.add_listener
def _dump_samples(environment, **kwargs):
    if SAMPLES_FILE:
        with open(SAMPLES_FILE, "w", encoding="utf-8") as out:
            json.dump(_samples, out)


def _fixed(role_index: int, default: int) -> int:
    counts = [int(n) for n in os.environ.get("LOAD_COUNTS", "").split(",") if n.strip()]
    return counts[role_index] if len(counts) == 3 else default


class DeskUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)  # the pauses are before each click (think)
    insecure = True  # the bench serves TLS with a self-signed certificate made for the run
    role = ""

    def on_start(self):
        account = USERS[self.role][next(_counters[self.role]) % len(USERS[self.role])]
        self.username = account
        self.csrf = ""
        login = self.client.get("/accounts/login/", name="GET login")
        token = CSRF_RE.search(login.text or "")
        response = self.client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1) if token else "", "username": account, "password": PASSWORD},
            headers=self._form_headers("/accounts/login/"),
            name="POST login",
            allow_redirects=False,
            catch_response=True,
        )
        with response:
            if response.status_code != 302:
                response.failure(f"login as {account}: {response.status_code}")
        _logged_in[0] += 1

    steps: tuple = ()

    def next_step(self):
        """The next task method: by weight at random, or in turn under LOAD_ROUND_ROBIN."""
        if ROUND_ROBIN:
            self._turn = getattr(self, "_turn", -1) + 1
            return getattr(self, self.steps[self._turn % len(self.steps)][0])
        names, weights = zip(*self.steps, strict=True)
        return getattr(self, random.choices(names, weights=weights)[0])

    # --- helpers ----------------------------------------------------------------------------
    def _form_headers(self, referer_path: str) -> dict:
        base = self.host.rstrip("/")
        return {"Origin": base, "Referer": base + referer_path}

    def _htmx_headers(self, page_path: str) -> dict:
        return {"HX-Request": "true", "HX-Current-URL": self.host.rstrip("/") + page_path}

    def think(self) -> None:
        gevent.sleep(random.uniform(*THINK))

    def page(self, path: str, name: str, fragments: bool = True) -> str:
        """GET a full page as a browser does, then the fragments it loads on ``load``."""
        self.think()
        with self.client.get(path, name=f"GET {name}", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: {response.status_code}")
                return ""
            text = response.text or ""
        token = HX_CSRF_RE.search(text)
        if token:
            self.csrf = token.group(1)
        if fragments:
            for url in LOAD_FRAGMENT_RE.findall(text):
                url = html.unescape(url)
                self.fragment(url, "fragment " + re.sub(r"\d+", "<id>", url.split("?")[0]), path)
        return text

    def fragment(self, url: str, name: str, page_path: str) -> str:
        with self.client.get(url, name=f"GET {name}", headers=self._htmx_headers(page_path), catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{url}: {r.status_code}")
                return ""
            return r.text or ""

    def post_form(self, path: str, data: dict, name: str, referer: str, expect=(302,)):
        """POST a form (no redirect following); returns (status, Location) or (None, None) on failure."""
        self.think()
        data = {"csrfmiddlewaretoken": self.csrf, **data}
        with self.client.post(
            path,
            data=data,
            headers=self._form_headers(referer),
            name=f"POST {name}",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{path}: {response.status_code}")
                return None, None
            return response.status_code, response.headers.get("Location", "")


class Specialist(DeskUser):
    """Works its own cases: queue, search, open a case, log a contact, quote, decide."""

    role = "specialist"
    fixed_count = _fixed(0, 40)

    def on_start(self):
        super().on_start()
        self.done: set[int] = set()

    def case_write(self, case_id: int, action: str, data: dict, referer: str):
        """Post one case action, follow the redirect to the case page and read the answer.
        Returns (outcome, page): outcome is "ok", "conflict" or "error"."""
        status, location = self.post_form(f"/cases/{case_id}/{action}/", data, action, referer)
        if status is None:
            return "error", ""
        with self.client.get(
            location or f"/cases/{case_id}/", name="GET case (after a write)", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"case {case_id} after {action}: {r.status_code}")
                return "error", ""
            page = r.text or ""
            token = HX_CSRF_RE.search(page)
            if token:
                self.csrf = token.group(1)
            if "alert-conflict" in page:
                return "conflict", page
            if "alert-success" in page:
                return "ok", page
            r.failure(f"case {case_id}: {action} answered neither success nor conflict")
            return "error", page

    def conflict_seen(self, action: str) -> None:
        # Counted apart from the write itself: a clear refusal by the optimistic lock, as expected.
        events.request.fire(
            request_type="CONFLICT",
            name=action,
            response_time=0,
            response_length=0,
            exception=None,
            context={},
        )

    @task
    def work_case(self):
        queue = self.page("/cases/", "queue")
        cases = [(int(pk), number) for pk, number in CASE_LINK_RE.findall(queue) if int(pk) not in self.done]
        if not cases:
            return
        case_id, number = random.choice(cases[:10])
        self.think()  # typing the policy number into the search box
        self.fragment(f"/cases/?q={number}", "queue search (htmx)", "/cases/")
        path = f"/cases/{case_id}/"
        page = self.page(path, "case")
        version = _hidden(page, "contact-version")
        if version is None:
            self.done.add(case_id)  # not ours to act on any more (closed meanwhile)
            return
        stale = version
        note = f"load {self.username} {uuid.uuid4().hex[:12]}"
        outcome, page = self.case_write(
            case_id,
            "contact",
            {
                "contact-version": version,
                "contact-channel": "phone",
                "contact-reached": "on",
                "contact-note": note,
                "contact-next_action_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            },
            path,
        )
        if outcome == "ok":
            log_write("contact", case=case_id, user=self.username, note=note)
        elif outcome == "conflict":
            self.conflict_seen("contact")
            return
        else:
            return
        if random.random() < STALE_SHARE:
            # A second tab's form: the version read before the contact. The lock must refuse it.
            stale_note = f"stale {self.username} {uuid.uuid4().hex[:12]}"
            outcome, page = self.case_write(
                case_id,
                "contact",
                {"contact-version": stale, "contact-channel": "email", "contact-note": stale_note},
                path,
            )
            if outcome == "conflict":
                self.conflict_seen("contact (stale version)")
                log_write("conflict", case=case_id, user=self.username, note=stale_note)
            elif outcome == "ok":
                log_write("contact", case=case_id, user=self.username, note=stale_note, stale=True)
        version = _hidden(page, "quote-version")
        if version is None:
            return
        query = "quote-discount_percent=0"
        if _hidden(page, "quote-addons_shown"):
            query += "&quote-addons_shown=1"
        self.fragment(f"/cases/{case_id}/quote/preview/?{query}", "quote preview (htmx)", path)
        outcome, page = self.case_write(
            case_id,
            "quote",
            {
                "quote-version": version,
                "quote-discount_percent": "0",
                **({"quote-addons_shown": "1"} if "quote-addons_shown=1" in query else {}),
            },
            path,
        )
        if outcome == "conflict":
            self.conflict_seen("quote")
            return
        if outcome != "ok":
            return
        log_write("quote", case=case_id, user=self.username)
        renew_version = _hidden(page, "renew-version")
        reasons = _options(page, "lost-reason_code")
        if renew_version is not None and (random.random() < 0.7 or not reasons):
            outcome, page = self.case_write(case_id, "renew", {"renew-version": renew_version}, path)
            decided = "renewed"
        else:
            version = _hidden(page, "lost-version")
            if version is None or not reasons:
                return
            reason = random.choice(reasons)
            outcome, page = self.case_write(
                case_id, "lost", {"lost-version": version, "lost-reason_code": reason, "lost-note": "load test"}, path
            )
            decided = "lost"
        if outcome == "conflict":
            self.conflict_seen(decided)
        elif outcome == "ok":
            self.done.add(case_id)
            log_write("decide", case=case_id, user=self.username, outcome=decided)


class Support(DeskUser):
    """Logs complaints (finding the customer with the picker) and NPS answers given by phone."""

    role = "support"
    fixed_count = _fixed(1, 5)

    def _pick_customer(self, for_survey: bool) -> int | None:
        sample = random.choice(USERS["customers"])
        data = {"q": sample["name"][:2]}
        if for_survey:
            data["for"] = "survey"
        headers = {**self._htmx_headers("/complaints/new/"), **self._form_headers("/complaints/new/")}
        headers["X-CSRFToken"] = self.csrf
        self.think()  # typing the name into the picker
        with self.client.post(
            "/complaints/new/customers/",
            data=data,
            headers=headers,
            name="POST customer picker (htmx)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"picker: {response.status_code}")
                return None
            found = (SURVEY_LINK_RE if for_survey else CUSTOMER_LINK_RE).findall(response.text or "")
        return int(random.choice(found)) if found else sample["id"]

    steps = (("log_complaint", 3), ("record_survey", 1))

    @task
    def act(self):
        self.next_step()()

    def log_complaint(self):
        self.page("/complaints/", "complaint queue")
        self.page("/complaints/new/", "complaint new")
        customer = self._pick_customer(for_survey=False)
        if customer is None:
            return
        path = f"/complaints/new/?customer={customer}"
        form = self.page(path, "complaint new (customer)")
        categories = _options(form, "category")
        received_at = _input_value(form, "id_received_at")
        if not categories or not received_at:
            return
        description = f"load complaint {self.username} {uuid.uuid4().hex[:12]}"
        status, location = self.post_form(
            "/complaints/new/",
            {
                "customer": str(customer),
                "policy": "",
                "case": "",
                "received_via": "phone",
                "received_at": received_at,
                "category": random.choice(categories),
                "severity": "normal",
                "description": description,
            },
            "complaint",
            path,
        )
        if status == 302:
            log_write("complaint", customer=customer, user=self.username, description=description)
            self.page(location, "complaint detail")

    def record_survey(self):
        self.page("/complaints/surveys/", "surveys")
        customer = self._pick_customer(for_survey=True)
        if customer is None:
            return
        path = f"/complaints/surveys/record/?customer={customer}"
        form = self.page(path, "survey record")
        responded_at = _input_value(form, "id_responded_at")
        if not responded_at:
            return
        comment = f"load nps {self.username} {uuid.uuid4().hex[:12]}"
        status, _location = self.post_form(
            "/complaints/surveys/record/",
            {
                "customer": str(customer),
                "score": str(random.randint(0, 10)),
                "comment": comment,
                "responded_at": responded_at,
                "channel": "phone",
            },
            "survey answer",
            path,
        )
        if status == 302:
            log_write("survey", customer=customer, user=self.username, comment=comment)


class Manager(DeskUser):
    """Reads the dashboard, the team scorecard and the KPI API, and downloads CSV exports."""

    role = "manager"
    fixed_count = _fixed(2, 5)

    def on_start(self):
        super().on_start()
        self.month = dt.date.today().strftime("%Y-%m")
        self.exports: list[str] = []

    steps = (("dashboard", 3), ("team", 2), ("kpis", 1), ("export_csv", 1))

    @task
    def act(self):
        self.next_step()()

    def dashboard(self):
        period = random.choice(["month", "quarter", "year"])
        page = self.page(f"/analytics/?period={period}&month={self.month}", "dashboard")
        self.exports = [html.unescape(u) for u in EXPORT_RE.findall(page)] or self.exports

    def team(self):
        page = self.page(f"/analytics/team/?period=month&month={self.month}", "team scorecard")
        self.exports += [html.unescape(u) for u in EXPORT_RE.findall(page)]

    def kpis(self):
        today = dt.date.today()
        start = today.replace(day=1)
        with self.client.get(
            f"/api/v1/kpis/?start={start:%Y-%m-%d}&end={today:%Y-%m-%d}", name="GET KPI API", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"kpis: {response.status_code}")

    def export_csv(self):
        if not self.exports:
            self.dashboard()
        if not self.exports:
            return
        url = random.choice(self.exports)
        name = "team export" if "/team/" in url else "dashboard export"
        with self.client.get(url, name=f"GET {name} (CSV)", catch_response=True) as response:
            if response.status_code != 200 or "csv" not in response.headers.get("Content-Type", ""):
                response.failure(f"{url}: {response.status_code} {response.headers.get('Content-Type')}")
