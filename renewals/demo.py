"""Deterministic demo book: customers, policies with renewal chains, past outcomes, complaints, NPS.

Everything is drawn from one ``numpy.random.Generator(seed)`` and a fixed "today", so the same
seed gives the same rows. Rows are built column-wise (numpy/pandas) and loaded with ``COPY`` on
PostgreSQL (1,000,000 policies in well under three minutes) or ``executemany`` batches on SQLite.

The shape of the book:
- A *chain* is one customer's cover for one line. Its *root* policy expires on a day spread from
  12 months back to 6 months ahead. Older terms of the chain (expired before Renewal Desk went
  live, 12 months ago) have no case. A root that expired in the last 12 months has a closed case
  (renewed with a successor policy, lost with a reason, lapsed, or not offered) or, inside the
  grace period, an open one.
- Open cases for policies inside their renewal window come from ``renewals.services.cases_open_due``
  (the real window scan); some are then pushed to contacted/quoted so the demo looks like a working
  team's queue.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from customers.models import Complaint, ComplaintCategory, Customer, SurveyResponse
from renewals.models import CaseEvent, LineOfInsurance, LostReason, Policy, Quote, RenewalCase

# ---------------------------------------------------------------------------------------------
# Reference lists (weights are rough shares, not statistics).

PROVINCES = [
    ("Guangdong", 12.6), ("Jiangsu", 8.5), ("Shandong", 7.2), ("Zhejiang", 7.0), ("Henan", 6.8),
    ("Sichuan", 5.9), ("Beijing", 5.6), ("Shanghai", 5.5), ("Hebei", 4.8), ("Hubei", 4.4),
    ("Hunan", 4.2), ("Fujian", 3.9), ("Anhui", 3.9), ("Liaoning", 3.0), ("Shaanxi", 2.8),
    ("Chongqing", 2.6), ("Jiangxi", 2.6), ("Guangxi", 2.4), ("Yunnan", 2.3), ("Shanxi", 2.0),
    ("Heilongjiang", 1.9), ("Tianjin", 1.8), ("Guizhou", 1.6), ("Inner Mongolia", 1.5), ("Jilin", 1.4),
    ("Xinjiang", 1.3), ("Gansu", 1.0), ("Hainan", 0.7), ("Ningxia", 0.4), ("Qinghai", 0.3), ("Tibet", 0.1),
]  # fmt: skip
SURNAMES = [
    "王wang",
    "李li",
    "张zhang",
    "刘liu",
    "陈chen",
    "杨yang",
    "黄huang",
    "赵zhao",
    "吴wu",
    "周zhou",
    "徐xu",
    "孙sun",
    "马ma",
    "朱zhu",
    "胡hu",
    "郭guo",
    "何he",
    "林lin",
    "高gao",
    "罗luo",
    "郑zheng",
    "梁liang",
    "谢xie",
    "宋song",
    "唐tang",
    "许xu",
    "韩han",
    "冯feng",
    "邓deng",
    "曹cao",
    "彭peng",
    "曾zeng",
    "肖xiao",
    "田tian",
    "董dong",
    "潘pan",
    "袁yuan",
    "蔡cai",
    "蒋jiang",
    "余yu",
    "于yu",
    "杜du",
    "叶ye",
    "程cheng",
    "魏wei",
    "苏su",
    "吕lv",
    "丁ding",
    "任ren",
    "卢lu",
    "姚yao",
    "沈shen",
    "钟zhong",
    "姜jiang",
    "崔cui",
    "谭tan",
    "陆lu",
    "范fan",
    "汪wang",
    "廖liao",
    "石shi",
    "金jin",
    "韦wei",
    "贾jia",
    "夏xia",
    "付fu",
    "方fang",
    "邹zou",
    "熊xiong",
    "白bai",
    "孟meng",
    "秦qin",
    "邱qiu",
    "侯hou",
    "江jiang",
    "尹yin",
    "薛xue",
    "闫yan",
    "段duan",
    "雷lei",
    "龙long",
    "黎li",
    "史shi",
    "陶tao",
    "贺he",
    "毛mao",
    "郝hao",
    "顾gu",
    "龚gong",
    "邵shao",
    "万wan",
    "武wu",
    "钱qian",
    "戴dai",
    "严yan",
    "欧阳ouyang",
    "司马sima",
]
GIVEN = [
    "伟wei",
    "芳fang",
    "娜na",
    "敏min",
    "静jing",
    "丽li",
    "强qiang",
    "磊lei",
    "军jun",
    "洋yang",
    "勇yong",
    "艳yan",
    "杰jie",
    "娟juan",
    "涛tao",
    "明ming",
    "超chao",
    "秀xiu",
    "霞xia",
    "平ping",
    "刚gang",
    "桂gui",
    "英ying",
    "华hua",
    "玉yu",
    "建jian",
    "国guo",
    "文wen",
    "辉hui",
    "红hong",
    "鹏peng",
    "雪xue",
    "晨chen",
    "浩hao",
    "宇yu",
    "婷ting",
    "欣xin",
    "怡yi",
    "梓zi",
    "涵han",
    "子zi",
    "轩xuan",
    "思si",
    "佳jia",
    "嘉jia",
    "俊jun",
    "博bo",
    "琳lin",
    "颖ying",
    "晓xiao",
    "志zhi",
    "海hai",
    "燕yan",
    "春chun",
    "凯kai",
    "鑫xin",
    "斌bin",
    "慧hui",
    "梅mei",
    "荣rong",
    "振zhen",
    "丹dan",
    "萍ping",
]
CITIES = [
    ("深圳", "Guangdong"), ("广州", "Guangdong"), ("东莞", "Guangdong"), ("佛山", "Guangdong"),
    ("杭州", "Zhejiang"), ("宁波", "Zhejiang"), ("苏州", "Jiangsu"), ("南京", "Jiangsu"),
    ("成都", "Sichuan"), ("武汉", "Hubei"), ("青岛", "Shandong"), ("济南", "Shandong"),
    ("西安", "Shaanxi"), ("厦门", "Fujian"), ("长沙", "Hunan"), ("郑州", "Henan"),
    ("天津", "Tianjin"), ("北京", "Beijing"), ("上海", "Shanghai"), ("重庆", "Chongqing"),
]  # fmt: skip
FIRM_WORDS = [
    "恒达",
    "华信",
    "鑫源",
    "瑞丰",
    "宏远",
    "金泰",
    "永盛",
    "博远",
    "天成",
    "汇通",
    "中联",
    "富华",
    "新城",
    "安信",
    "德胜",
    "嘉禾",
    "正泰",
    "百川",
]
INDUSTRIES = [
    "贸易",
    "物流",
    "科技",
    "建材",
    "食品",
    "电子",
    "餐饮",
    "纺织",
    "机械",
    "医药",
    "置业",
    "运输",
    "服饰",
    "印务",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
]
EMAIL_DOMAINS = ["example.com", "example.cn", "example.net"]

LINE_CODES = ["auto", "health", "property"]
# Line mix for individuals and for businesses.
LINE_MIX = {"individual": [0.58, 0.30, 0.12], "business": [0.35, 0.10, 0.55]}
PRODUCTS = {
    "auto": [("机动车商业保险", 0.55), ("交强险+商业险套餐", 0.35), ("新能源汽车保险", 0.10)],
    "health": [("百万医疗险", 0.50), ("重大疾病保险", 0.30), ("团体医疗保险", 0.20)],
    "property": [("家庭财产保险", 0.55), ("企业财产保险", 0.35), ("工程险", 0.10)],
}
# Log-normal premiums (median CNY, sigma) per line; businesses' property is much bigger.
PREMIUM = {"auto": (3600, 0.45), "health": (2200, 0.75), "property": (900, 0.9)}
BUSINESS_PROPERTY_PREMIUM = (28000, 1.0)
SEGMENT_PREMIUM_FACTOR = {"standard": 1.0, "high_value": 2.2, "vip": 4.5}
CLAIMS_RATE = {"auto": 0.28, "health": 0.32, "property": 0.06}
CHANNELS = ["direct", "agent", "broker", "online"]
CHANNEL_MIX = [0.15, 0.45, 0.15, 0.25]

# Renewal propensity: base by line, plus segment and channel effects.
RENEW_BASE = {"auto": 0.80, "health": 0.86, "property": 0.74}
RENEW_SEGMENT = {"standard": 0.0, "high_value": 0.04, "vip": 0.07}
RENEW_CHANNEL = {"direct": 0.02, "agent": 0.03, "broker": 0.0, "online": -0.07}
# Of the cases that do not renew: lost, lapsed, not offered.
NOT_RENEWED_SPLIT = [0.72, 0.22, 0.06]
LOST_REASON_MIX = {
    "auto": {
        "price": 0.38,
        "competitor": 0.22,
        "service": 0.08,
        "needs_changed": 0.08,
        "asset_sold": 0.16,
        "other": 0.08,
    },
    "health": {"price": 0.35, "competitor": 0.15, "service": 0.15, "needs_changed": 0.25, "other": 0.10},
    "property": {
        "price": 0.30,
        "competitor": 0.20,
        "service": 0.10,
        "needs_changed": 0.15,
        "asset_sold": 0.15,
        "other": 0.10,
    },
}
NOT_OFFERED_MIX = {"underwriting": 0.6, "fraud_risk": 0.15, "product_withdrawn": 0.25}

COMPLAINT_CATEGORY_MIX = {
    "price": 0.25,
    "claims": 0.25,
    "service": 0.20,
    "renewal_process": 0.15,
    "billing": 0.10,
    "other": 0.05,
}
COMPLAINT_TEXT = {
    "price": [
        "续保报价比去年高出不少，希望说明涨价原因。",
        "Renewal premium rose sharply with no explanation.",
        "同样的保障，别家报价更低，要求重新核价。",
    ],
    "claims": [
        "理赔进度太慢，提交材料两周仍无回复。",
        "理赔金额与预期不符，要求复核。",
        "Claim was rejected; customer disputes the reason.",
    ],
    "service": ["客服电话长时间无人接听。", "业务员承诺回电但一直没有联系。", "Staff at the branch were unhelpful."],
    "renewal_process": [
        "收到的续保通知书信息有误。",
        "线上续保页面无法完成支付。",
        "Received too many renewal reminders.",
    ],
    "billing": ["保费重复扣款，要求退还。", "发票信息开具错误。"],
    "other": ["对保单条款有疑问，希望专人解释。", "要求更新联系地址但未生效。"],
}
RESOLUTIONS = [
    "已向客户解释费率调整依据，客户表示理解。",
    "已加快处理并完成赔付。",
    "已退还多扣保费并致歉。",
    "已更正信息并重新寄送。",
    "Explained the terms; customer accepted.",
    "已安排专人跟进并回访。",
]
ROOT_CAUSES = [
    "Rate change not explained",
    "Processing delay",
    "Data entry error",
    "Staff follow-up missed",
    "Product terms",
]
NPS_COMMENTS = {
    "promoter": ["续保很方便，服务很好。", "业务员很专业，推荐给朋友了。", "Quick and easy renewal."],
    "passive": ["整体还可以，价格有点高。", "流程还行。", "OK, but the reminders came late."],
    "detractor": ["价格太贵了。", "理赔太慢，不满意。", "没人回电话。", "Too expensive compared with others."],
}

SPECIALISTS = [("specialist1", "李娜"), ("specialist2", "王强"), ("specialist3", "陈静"), ("specialist4", "刘洋")]
# Each specialist's effect on renewal odds, so the leaderboard has a spread.
SPECIALIST_SKILL = [0.04, -0.01, 0.02, -0.05]
DEMO_USERS = [
    *[(name, full, "specialist") for name, full in SPECIALISTS],
    ("manager1", "张伟", "manager"),
    ("support1", "赵敏", "support"),
    ("support2", "周婷", "support"),
]
GO_LIVE_DAYS = 365  # Renewal Desk "went live" this many days ago: older expiries have no case.
TERM_DAYS = 365
CONTACT_CHANNELS = ["phone", "message", "email"]


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        parts = ", ".join(f"{name} {n:,}" for name, n in self.counts.items())
        return f"{parts} in {sum(self.seconds.values()):.1f} s"


# ---------------------------------------------------------------------------------------------
# Public entry points


def ensure_demo_users() -> list[User]:
    """Create (or refresh) the demo users in their groups with settings.DEMO_PASSWORD."""
    users = []
    password = make_password(settings.DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    for username, full_name, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name, user.email = full_name, "", f"{username}@example.com"
        user.password = password
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users.append(user)
    return users


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS]).exists()


def domain_reset() -> None:
    """Empty the customer/policy/case tables and every table that points at them."""
    roots = [Customer, Policy, RenewalCase]
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in roots)
        with connection.cursor() as cursor:
            # Inside an outer transaction, deferred foreign-key checks must run before a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    # SQLite: delete from the roots and everything that (transitively) references them.
    from django.apps import apps

    doomed = set(roots)
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in doomed:
                continue
            if any(f.is_relation and f.concrete and f.related_model in doomed for f in model._meta.get_fields()):
                doomed.add(model)
                changed = True
    with transaction.atomic(), connection.cursor() as cursor:
        for model in doomed:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def seed(*, customers: int, policies: int, seed: int = 1, today: dt.date | None = None, out=None) -> SeedReport:
    """Generate and load the demo book. The tables should be empty (see ``domain_reset``)."""
    today = today or timezone.localdate()
    report = SeedReport()
    say = out or (lambda msg: None)
    users = ensure_demo_users()
    specialists = [u.pk for u in users if u.username.startswith("specialist")]
    support = [u.pk for u in users if u.username.startswith("support")]

    started = time.perf_counter()
    book = _Book(customers=customers, policies=policies, seed=seed, today=today)
    book.build(specialists=specialists, support=support)
    report.seconds["generate"] = time.perf_counter() - started
    say(f"generated in {report.seconds['generate']:.1f} s")

    started = time.perf_counter()
    loader = _Loader()
    with (
        transaction.atomic(),
        loader.bulk_load_mode([Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse]),
    ):
        loader.load(Customer, book.customers)
        loader.load(Policy, book.policies)
        loader.load(RenewalCase, book.cases)
        loader.load(CaseEvent, book.events)
        loader.load(Complaint, book.complaints)
        loader.load(SurveyResponse, book.surveys)
        loader.reset_sequences([Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse, Quote])
    report.seconds["load"] = time.perf_counter() - started
    say(f"loaded in {report.seconds['load']:.1f} s")

    started = time.perf_counter()
    opened = _open_due_cases(book, loader)
    progressed = _progress_open_cases(book, loader, specialists)
    report.seconds["open cases"] = time.perf_counter() - started
    say(f"opened {opened:,} cases, worked {progressed:,} of them in {report.seconds['open cases']:.1f} s")

    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse, Quote):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        report.seconds["analyze"] = time.perf_counter() - started

    report.counts = {
        "customers": len(book.customers),
        "policies": len(book.policies),
        "cases": RenewalCase.objects.count(),
        "complaints": len(book.complaints),
        "survey responses": len(book.surveys),
    }
    return report


# ---------------------------------------------------------------------------------------------
# Generation


def _pick(rng, weights, size):
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _money(cents: np.ndarray) -> np.ndarray:
    cents = np.asarray(cents, dtype=np.int64)
    whole = (cents // 100).astype(str)
    frac = np.char.zfill((cents % 100).astype(str), 2)
    return np.char.add(np.char.add(whole, "."), frac).astype(object)


class _Book:
    """Column-wise frames for every table, ready for the loader."""

    def __init__(self, *, customers, policies, seed, today):
        self.n_customers = int(customers)
        self.n_policies = int(policies)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.today = today
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        local_midnight = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
        utc = local_midnight.astimezone(dt.UTC).replace(tzinfo=None)
        self._midnight_utc = np.datetime64(utc, "s")
        # "now" for generated history: a fixed time of the seeding day, so results are deterministic.
        self.now = 0.0
        self.today64 = np.datetime64(today, "D")
        self.suffix = "+00" if connection.vendor == "postgresql" else ""
        lines = {line.code: line for line in LineOfInsurance.objects.filter(code__in=LINE_CODES)}
        missing = set(LINE_CODES) - set(lines)
        if missing:
            raise RuntimeError(f"lines of insurance missing (run migrate): {sorted(missing)}")
        self.line_ids = np.array([lines[c].pk for c in LINE_CODES])
        self.window = np.array([lines[c].renewal_window_days for c in LINE_CODES])
        self.grace = np.array([lines[c].grace_days for c in LINE_CODES])
        self.reasons = {r.code: r.pk for r in LostReason.objects.all()}
        self.categories = {c.code: c.pk for c in ComplaintCategory.objects.all()}
        self.ids = {m: _max_id(m) for m in (Customer, Policy, RenewalCase, CaseEvent, Complaint, SurveyResponse, Quote)}

    # time helpers: t is in days relative to local midnight of ``today``
    def ts(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        empty = np.isnan(t)
        secs = np.where(empty, 0, np.round(t * 86400)).astype(np.int64)
        stamps = np.datetime_as_string(self._midnight_utc + secs.astype("timedelta64[s]"), unit="s")
        stamps = np.char.add(np.char.replace(stamps, "T", " "), self.suffix).astype(object)
        stamps[empty] = None
        return stamps

    def day(self, offsets: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(self.today64 + np.asarray(offsets, dtype=np.int64), unit="D").astype(object)

    def build(self, *, specialists: list[int], support: list[int]) -> None:
        self._customers()
        self._policies_and_cases(specialists)
        self._complaints(support)
        self._surveys(support)

    # -- customers
    def _customers(self):
        rng, n = self.rng, self.n_customers
        ids = self.ids[Customer] + 1 + np.arange(n)
        business = rng.random(n) < 0.07
        sur = _pick(rng, [1 / (i + 1) ** 0.8 for i in range(len(SURNAMES))], n)
        g1 = rng.integers(0, len(GIVEN), n)
        g2 = rng.integers(0, len(GIVEN), n)
        two = rng.random(n) < 0.65
        city = rng.integers(0, len(CITIES), n)
        firm = rng.integers(0, len(FIRM_WORDS), n)
        industry = rng.integers(0, len(INDUSTRIES), n)
        sur_zh = [s.rstrip("abcdefghijklmnopqrstuvwxyz") for s in SURNAMES]
        sur_py = [s[len(z) :] for s, z in zip(SURNAMES, sur_zh, strict=True)]
        giv_zh = [g[0] for g in GIVEN]
        giv_py = [g[1:] for g in GIVEN]
        add = np.strings.add
        sur_zh, sur_py = np.array(sur_zh)[sur], np.array(sur_py)[sur]
        given_zh = add(np.array(giv_zh)[g1], np.where(two, np.array(giv_zh)[g2], ""))
        given_py = add(np.array(giv_py)[g1], np.where(two, np.array(giv_py)[g2], ""))
        city_firm = add(np.array([c for c, _ in CITIES])[city], np.array(FIRM_WORDS)[firm])
        firm_names = add(add(city_firm, np.array(INDUSTRIES)[industry]), "有限公司")
        names = np.where(business, firm_names, add(sur_zh, given_zh))
        handles = np.where(business, add("office", ids.astype(str)), add(sur_py, given_py))
        region = np.array([p for p, _ in PROVINCES], dtype=object)[_pick(rng, [w for _, w in PROVINCES], n)]
        region[business] = np.array([c[1] for c in CITIES], dtype=object)[city[business]]
        segment = np.where(
            business,
            np.array(["standard", "high_value", "vip"], dtype=object)[_pick(rng, [0.55, 0.33, 0.12], n)],
            np.array(["standard", "high_value", "vip"], dtype=object)[_pick(rng, [0.82, 0.14, 0.04], n)],
        )
        digits = np.char.add(
            np.array(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), n)],
            np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8),
        )
        style = rng.random(n)
        cut = np.strings.slice
        dashed = add(add(add(add(cut(digits, 0, 3), "-"), cut(digits, 3, 7)), "-"), cut(digits, 7, 11))
        spaced = np.char.replace(dashed, "-", " ")
        phone = np.where(style < 0.80, digits, np.where(style < 0.92, dashed, spaced)).astype(object)
        number = rng.integers(1960, 2005, n).astype(str)
        with_number = rng.random(n) < 0.6
        domain = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), n)]
        local_part = add(handles, np.where(with_number & ~business, number, ""))
        email = add(add(local_part, "@"), domain.astype(str)).astype(object)
        no_email = rng.random(n) < 0.04
        email[no_email] = ""
        channel = np.array(["sms", "phone", "email"], dtype=object)[_pick(rng, [0.55, 0.25, 0.20], n)]
        channel[no_email & (channel == "email")] = "sms"
        language = np.where(rng.random(n) < 0.95, "zh-hans", "en").astype(object)
        created = -(rng.random(n) * 8 * 365 + 400)
        self.customers = pd.DataFrame(
            {
                "id": ids,
                "external_ref": np.char.add("CRM", np.char.zfill(ids.astype(str), 9)).astype(object),
                "kind": np.where(business, "business", "individual").astype(object),
                "name": names.astype(object),
                "phone": phone,
                "phone_digits": digits.astype(object),
                "email": email,
                "region": region,
                "segment": segment,
                "preferred_channel": channel,
                "preferred_language": language,
                "consent_email": ~no_email & (rng.random(n) > 0.03),
                "consent_sms": rng.random(n) > 0.04,
                "consent_phone": rng.random(n) > 0.02,
                "marketing_opt_out": rng.random(n) < 0.08,
                "time_zone": "",
                "created_at": self.ts(created),
                "updated_at": self.ts(created),
            }
        )
        self._cust_business = business
        self._cust_segment = segment

    # -- policies, chains and closed cases
    def _policies_and_cases(self, specialists):
        rng = self.rng
        n_target = self.n_policies
        # Chains: sizes are 1 + older terms + successor; draw more than needed, keep a prefix.
        m = int(n_target / 1.8) + 16
        cust = np.where(
            np.arange(m) < min(m, self.n_customers),
            rng.permutation(max(m, self.n_customers))[:m] % self.n_customers,
            rng.integers(0, self.n_customers, m),
        )
        business = self._cust_business[cust]
        line = np.where(business, _pick(rng, LINE_MIX["business"], m), _pick(rng, LINE_MIX["individual"], m))
        past = rng.random(m) < 0.75
        anchor = np.where(past, -rng.integers(1, GO_LIVE_DAYS + 1, m), rng.integers(0, 183, m))
        n_older = np.where(past, _pick(rng, [0.5, 0.35, 0.15], m), 0)
        segment = self._cust_segment[cust]
        channel = _pick(rng, CHANNEL_MIX, m)
        spec_idx = rng.integers(0, len(specialists), m)
        claims_root = rng.poisson(np.array([CLAIMS_RATE[c] for c in LINE_CODES])[line])
        p_renew = (
            np.array([RENEW_BASE[c] for c in LINE_CODES])[line]
            + np.vectorize(RENEW_SEGMENT.get)(segment)
            + np.array([RENEW_CHANNEL[c] for c in CHANNELS])[channel]
            + np.array(SPECIALIST_SKILL * (len(specialists) // len(SPECIALIST_SKILL) + 1))[spec_idx]
            + np.where(n_older > 0, 0.04, -0.03)
            - 0.04 * np.minimum(claims_root, 3)
        ).clip(0.3, 0.97)
        grace = self.grace[line]
        in_grace = past & (anchor >= -grace)
        renewed = past & (rng.random(m) < p_renew)
        other = _pick(rng, NOT_RENEWED_SPLIT, m)  # 0 lost, 1 lapsed, 2 not offered
        outcome = np.full(m, "none", dtype=object)
        outcome[past] = "renewed"
        nr = past & ~renewed
        outcome[nr & (other == 0)] = "lost"
        outcome[nr & (other == 1)] = "lapsed"
        outcome[nr & (other == 2)] = "not_offered"
        # Inside the grace period nothing lapses yet, and many decisions are still pending.
        pending = in_grace & ((outcome == "lapsed") | (rng.random(m) < 0.35))
        outcome[pending] = "pending"
        renewed = outcome == "renewed"
        size = 1 + n_older + renewed
        keep = int(np.searchsorted(np.cumsum(size), n_target, side="right"))
        rest = n_target - int(size[:keep].sum())
        # Fill the remainder with one-policy chains: future roots (new business, no case yet).
        sel = np.concatenate([np.arange(keep), np.arange(keep, keep + rest)])
        cust, line, anchor, n_older, segment, channel, spec_idx, claims_root, outcome = (
            a[sel] for a in (cust, line, anchor, n_older, segment, channel, spec_idx, claims_root, outcome)
        )
        if rest:
            tail = slice(keep, keep + rest)
            n_older[tail] = 0
            anchor[tail] = np.abs(anchor[tail])
            outcome[tail] = "none"
        m = len(sel)
        renewed = outcome == "renewed"
        business = self._cust_business[cust]

        # Root premiums (cents)
        median = np.array([PREMIUM[c][0] for c in LINE_CODES], dtype=float)[line]
        sigma = np.array([PREMIUM[c][1] for c in LINE_CODES], dtype=float)[line]
        biz_prop = business & (line == 2)
        median[biz_prop], sigma[biz_prop] = BUSINESS_PROPERTY_PREMIUM
        median *= np.vectorize(SEGMENT_PREMIUM_FACTOR.get)(segment).astype(float)
        root_premium = np.exp(np.log(median) + sigma * rng.standard_normal(m)).clip(200, 5_000_000)
        product_idx = np.zeros(m, dtype=int)
        for li, code in enumerate(LINE_CODES):
            mask = line == li
            product_idx[mask] = _pick(rng, [w for _, w in PRODUCTS[code]], int(mask.sum()))

        # Expand chains into policy rows: older terms (k = n_older..1), root (k = 0), successor (k = -1).
        reps = 1 + n_older + renewed
        chain = np.repeat(np.arange(m), reps)
        first_row = np.concatenate([[0], np.cumsum(reps)[:-1]])
        pos = np.arange(len(chain)) - first_row[chain]
        k = n_older[chain] - pos  # terms before the root (positive), root 0, successor -1
        n = len(chain)
        ids = self.ids[Policy] + 1 + np.arange(n)
        end = anchor[chain] - TERM_DAYS * k
        start = end - TERM_DAYS
        drift = np.exp(rng.normal(0.03, 0.05, n))
        premium = root_premium[chain] * drift ** (-k.astype(float))
        premium_cents = np.round(premium * 100).astype(np.int64)
        ln = line[chain]
        health_cover = np.array([500_000, 1_000_000, 3_000_000])[rng.integers(0, 3, m)]  # kept along the chain
        sum_insured = np.where(
            ln == 0,
            premium * rng.uniform(30, 70, n),
            np.where(
                ln == 1,
                health_cover[chain],
                premium * rng.uniform(600, 1500, n),
            ),
        )
        status = np.where(end < 0, "expired", "active").astype(object)
        root_pending = (k == 0) & (outcome[chain] == "pending")
        status[root_pending] = "active"
        cancelled = (status == "active") & (k == 0) & (rng.random(n) < 0.005) & ~root_pending
        status[cancelled] = "cancelled"
        claims = np.where(k == 0, claims_root[chain], rng.poisson(np.array([CLAIMS_RATE[c] for c in LINE_CODES])[ln]))
        previous = np.where(pos > 0, ids - 1, 0)
        prefix = np.array(["AU", "HE", "PR"], dtype=object)[ln]
        start_year = (self.today64 + start).astype("datetime64[Y]").astype(int) + 1970
        number = np.char.add(
            np.char.add(prefix.astype(str), start_year.astype(str)), np.char.zfill(ids.astype(str), 10)
        ).astype(object)
        product = np.array([[p for p, _ in PRODUCTS[c]] for c in LINE_CODES], dtype=object)[ln, product_idx[chain]]
        created = start - rng.uniform(5, 30, n)
        self.policies = pd.DataFrame(
            {
                "id": ids,
                "number": number,
                "customer_id": self.customers["id"].to_numpy()[cust[chain]],
                "line_id": self.line_ids[ln],
                "product": product,
                "start_date": self.day(start),
                "end_date": self.day(end),
                "premium": _money(premium_cents),
                "sum_insured": _money(np.round(sum_insured * 100)),
                "channel": np.array(CHANNELS, dtype=object)[channel[chain]],
                "status": status,
                "previous_policy_id": pd.array(np.where(previous > 0, previous, 0), dtype="Int64"),
                "claims_count": claims,
                "created_at": self.ts(created),
                "updated_at": self.ts(np.minimum(end, 0) - 0.5),
            }
        )
        self.policies.loc[previous == 0, "previous_policy_id"] = pd.NA
        self._policy_line = ln
        self._policy_end = end
        self._policy_status = status
        self._policy_has_previous = previous > 0
        self._policy_premium_cents = premium_cents
        self._policy_claims = claims
        self._policy_customer = self.policies["customer_id"].to_numpy()

        # Closed (and in-grace open) cases for roots that expired since go-live.
        root_rows = first_row + n_older  # row index of each chain's root
        has_case = anchor < 0
        rows = root_rows[has_case]
        c_outcome = outcome[has_case]
        c_line = line[has_case]
        c_spec = np.array(specialists)[spec_idx[has_case]]
        due = anchor[has_case].astype(float)
        nc = len(rows)
        window = self.window[c_line]
        opened = due - window + 1 / 24  # 01:00 on the day the window opened
        closed = np.full(nc, np.nan)
        workday = 9 / 24 + rng.uniform(0, 9 / 24, nc)  # a time in office hours
        p_contact = np.vectorize(
            {"renewed": 0.95, "lost": 0.92, "lapsed": 0.55, "not_offered": 0.3, "pending": 0.7}.get
        )(c_outcome)
        p_quote = np.vectorize({"renewed": 0.92, "lost": 0.6, "lapsed": 0.25, "not_offered": 0.0, "pending": 0.45}.get)(
            c_outcome
        )
        contacted = rng.random(nc) < p_contact
        quoted = contacted & (rng.random(nc) < p_quote)
        first_contact = np.floor(opened + rng.gamma(2.0, 3.0, nc)) + workday
        quoted_at = np.floor(first_contact + rng.gamma(2.0, 3.0, nc)) + workday
        last = np.where(quoted, quoted_at, np.where(contacted, first_contact, opened))
        decided = np.floor(last + rng.gamma(2.0, 4.0, nc)) + rng.uniform(9 / 24, 18 / 24, nc)
        closed = np.where(np.isin(c_outcome, ["renewed", "lost", "not_offered"]), decided, np.nan)
        closed = np.where(c_outcome == "renewed", np.minimum(closed, due + 5 + workday), closed)
        closed = np.where(c_outcome == "lost", np.minimum(closed, due + self.grace[c_line]), closed)
        closed = np.where(c_outcome == "lapsed", due + self.grace[c_line] + 1 + 1.5 / 24, closed)
        latest = -1 / 24  # history ends an hour before midnight of the seeding day
        closed = np.where(np.isnan(closed), np.nan, np.minimum(closed, latest))
        bound = np.where(np.isnan(closed), latest, closed)
        first_contact = np.where(
            contacted, np.maximum(np.minimum(first_contact, bound - 2 / 24), opened + 1 / 24), np.nan
        )
        quoted_at = np.where(
            quoted, np.maximum(np.minimum(quoted_at, bound - 1 / 24), first_contact + 0.5 / 24), np.nan
        )
        stage = c_outcome.copy()
        open_rows = c_outcome == "pending"
        stage[open_rows] = np.where(quoted[open_rows], "quoted", np.where(contacted[open_rows], "contacted", "open"))
        self_service = (c_outcome == "renewed") & (rng.random(nc) < 0.15)
        closed_by = pd.array(
            np.where(np.isin(c_outcome, ["renewed", "lost", "not_offered"]) & ~self_service, c_spec, 0), dtype="Int64"
        )
        closed_by[closed_by == 0] = pd.NA
        reason = np.zeros(nc, dtype=np.int64)
        for li, code in enumerate(LINE_CODES):
            mask = (c_outcome == "lost") & (c_line == li)
            mix = {c: w for c, w in LOST_REASON_MIX[code].items() if c in self.reasons}
            reason[mask] = np.array([self.reasons[c] for c in mix])[_pick(rng, list(mix.values()), int(mask.sum()))]
        mask = c_outcome == "not_offered"
        mix = {c: w for c, w in NOT_OFFERED_MIX.items() if c in self.reasons}
        reason[mask] = np.array([self.reasons[c] for c in mix])[_pick(rng, list(mix.values()), int(mask.sum()))]
        lost_reason = pd.array(reason, dtype="Int64")
        lost_reason[reason == 0] = pd.NA
        successor_rows = rows + 1  # a renewed root's successor is the next row of its chain
        successor = pd.array(np.where(c_outcome == "renewed", ids[np.minimum(successor_rows, n - 1)], 0), dtype="Int64")
        successor[c_outcome != "renewed"] = pd.NA
        version = 1 + contacted.astype(int) + quoted.astype(int) + ~open_rows
        case_ids = self.ids[RenewalCase] + 1 + np.arange(nc)
        next_action = np.where(open_rows, np.maximum(due + rng.integers(-2, 6, nc), -3), 0).astype(np.int64)
        next_action_date = self.day(next_action)
        next_action_date[~open_rows] = None
        updated = np.where(np.isnan(closed), np.fmax(np.fmax(quoted_at, first_contact), opened), closed)
        self.cases = pd.DataFrame(
            {
                "id": case_ids,
                "policy_id": ids[rows],
                "customer_id": self.policies["customer_id"].to_numpy()[rows],
                "line_id": self.line_ids[c_line],
                "expiring_premium": _money(premium_cents[rows]),
                "due_date": self.day(due.astype(np.int64)),
                "stage": stage,
                "assignee_id": c_spec,
                "opened_at": self.ts(opened),
                "next_action_date": next_action_date,
                "priority": "0.00",
                "churn_risk": pd.array([pd.NA] * nc, dtype="Int64"),
                "churn_reasons": "[]",
                "first_contact_at": self.ts(first_contact),
                "quoted_at": self.ts(quoted_at),
                "closed_at": self.ts(closed),
                "closed_by_id": closed_by,
                "lost_reason_id": lost_reason,
                "outcome_note": "",
                "successor_policy_id": successor,
                "version": version,
                "updated_at": self.ts(updated),
                "updated_by_id": closed_by,
            }
        )
        self._case_outcome = c_outcome
        self._case_closed = closed
        self._case_customer = self.cases["customer_id"].to_numpy()
        successor_cents = premium_cents[np.minimum(rows + 1, n - 1)]  # used for renewed cases only
        self._events(case_ids, c_spec, opened, first_contact, quoted_at, closed, c_outcome, successor_cents)

    def _events(self, case_ids, spec, opened, first_contact, quoted_at, closed, outcome, successor_cents):
        rng = self.rng
        parts = []
        # opened
        parts.append((case_ids, "opened", None, opened, ["{}"] * len(case_ids)))
        m = ~np.isnan(first_contact)
        channel = _pick(rng, [0.6, 0.15, 0.25], int(m.sum()))  # index into CONTACT_CHANNELS
        parts.append(
            (
                case_ids[m],
                "contact",
                spec[m],
                first_contact[m],
                np.array([json.dumps({"channel": c, "reached": True}) for c in CONTACT_CHANNELS], dtype=object)[
                    channel
                ],
            )
        )
        m = ~np.isnan(quoted_at)
        parts.append((case_ids[m], "quote", spec[m], quoted_at[m], ["{}"] * int(m.sum())))
        for kind in ("renewed", "lost", "lapsed", "not_offered"):
            m = outcome == kind
            actor = spec[m] if kind != "lapsed" else np.zeros(int(m.sum()), dtype=np.int64)
            if kind == "renewed":
                payload = np.strings.add(np.strings.add('{"premium": "', _money(successor_cents[m]).astype(str)), '"}')
            else:
                payload = ["{}"] * int(m.sum())
            parts.append((case_ids[m], kind, actor, closed[m], payload))
        case = np.concatenate([p[0] for p in parts])
        kind = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
        actor = np.concatenate([np.zeros(len(p[0]), dtype=np.int64) if p[2] is None else p[2] for p in parts])
        at = np.concatenate([p[3] for p in parts])
        payload = np.concatenate([np.array(p[4], dtype=object) for p in parts])
        actor_col = pd.array(actor, dtype="Int64")
        actor_col[actor == 0] = pd.NA
        self.events = pd.DataFrame(
            {
                "id": self.ids[CaseEvent] + 1 + np.arange(len(case)),
                "case_id": case,
                "kind": kind,
                "actor_id": actor_col,
                "payload": payload,
                "created_at": self.ts(at),
            }
        )

    # -- complaints
    def _complaints(self, support):
        rng = self.rng
        n = max(1, int(self.n_policies * 0.04))
        # Lost customers complain more: half the complaints come from customers with a closed case.
        from_cases = (rng.random(n) < 0.5) & (len(self.cases) > 0)
        case_pick = rng.integers(0, max(1, len(self.cases)), n) if len(self.cases) else np.zeros(n, dtype=np.int64)
        policy_pick = rng.integers(0, len(self.policies), n)
        case_ids = self.cases["id"].to_numpy() if len(self.cases) else np.zeros(1, dtype=np.int64)
        case_policy = self.cases["policy_id"].to_numpy() if len(self.cases) else np.zeros(1, dtype=np.int64)
        case_customer = self._case_customer if len(self.cases) else np.zeros(1, dtype=np.int64)
        customer = np.where(from_cases, case_customer[case_pick], self._policy_customer[policy_pick])
        policy = np.where(from_cases, case_policy[case_pick], self.policies["id"].to_numpy()[policy_pick])
        case = np.where(from_cases, case_ids[case_pick], 0)
        received = -(rng.beta(1.0, 1.4, n) * 360) - 1  # more in recent months
        received = np.floor(received) + rng.uniform(8 / 24, 20 / 24, n)
        received = np.minimum(received, -1 / 24)
        cats = [c for c in COMPLAINT_CATEGORY_MIX if c in self.categories]
        cat_idx = _pick(rng, [COMPLAINT_CATEGORY_MIX[c] for c in cats], n)
        severity = np.array(["low", "normal", "high"], dtype=object)[_pick(rng, [0.25, 0.6, 0.15], n)]
        sla_days = np.vectorize({"low": 15, "normal": 10, "high": 5}.get)(severity)
        ack_due = received + 1
        sla_due = received + sla_days
        age = -received
        ack = received + rng.exponential(0.4, n)
        resolve_days = rng.lognormal(np.log(6), 0.6, n)
        resolved_at = received + resolve_days
        # A few recent ones are stuck (awaiting claims or underwriting), so queues and escalations have work.
        stuck = (received > -60) & (rng.random(n) < 0.25)
        is_resolved = (resolved_at < -1 / 24) & ~stuck
        status = np.where(is_resolved, np.where(rng.random(n) < 0.6, "closed", "resolved"), "in_progress").astype(
            object
        )
        young = ~is_resolved
        status[young & (age < 3)] = np.where(rng.random(int((young & (age < 3)).sum())) < 0.5, "new", "acknowledged")
        acknowledged = np.where(status == "new", np.nan, np.minimum(np.minimum(ack, resolved_at), -1 / 24))
        resolved = np.where(np.isin(status, ["resolved", "closed"]), resolved_at, np.nan)
        closed = np.where(status == "closed", np.minimum(resolved_at + rng.uniform(1, 5, n), -1 / 24), np.nan)
        breached = np.where(np.isnan(resolved), sla_due < 0, resolved > sla_due)
        escalated = np.where(breached, sla_due + 0.01, np.nan)
        upheld = pd.array(rng.random(n) < 0.4, dtype="boolean")
        upheld[np.isnan(resolved)] = pd.NA
        description = np.array(
            [
                COMPLAINT_TEXT[cats[c]][j % len(COMPLAINT_TEXT[cats[c]])]
                for c, j in zip(cat_idx, rng.integers(0, 99, n), strict=True)
            ],
            dtype=object,
        )
        resolution = np.array(RESOLUTIONS, dtype=object)[rng.integers(0, len(RESOLUTIONS), n)]
        resolution[np.isnan(resolved)] = ""
        root_cause = np.array(ROOT_CAUSES, dtype=object)[rng.integers(0, len(ROOT_CAUSES), n)]
        root_cause[np.isnan(resolved)] = ""
        assignee = np.array(support)[rng.integers(0, len(support), n)]
        self.complaints = pd.DataFrame(
            {
                "id": self.ids[Complaint] + 1 + np.arange(n),
                "customer_id": customer,
                "policy_id": _nullable(np.where(rng.random(n) < 0.85, policy, 0)),
                "case_id": _nullable(case),
                "received_via": np.array(["phone", "online", "branch", "letter", "regulator"], dtype=object)[
                    _pick(rng, [0.5, 0.3, 0.12, 0.03, 0.05], n)
                ],
                "received_at": self.ts(received),
                "category_id": np.array([self.categories[c] for c in cats])[cat_idx],
                "severity": severity,
                "description": description,
                "status": status,
                "acknowledge_due_at": self.ts(ack_due),
                "sla_due_at": self.ts(sla_due),
                "acknowledged_at": self.ts(acknowledged),
                "resolved_at": self.ts(resolved),
                "closed_at": self.ts(closed),
                "escalated_at": self.ts(escalated),
                "upheld": upheld,
                "resolution": resolution,
                "root_cause": root_cause,
                "assignee_id": assignee,
                "created_by_id": np.array(support)[rng.integers(0, len(support), n)],
                "created_at": self.ts(received),
                "updated_at": self.ts(np.fmax(np.fmax(received, acknowledged), np.fmax(resolved, closed))),
            }
        )

    # -- NPS answers: about one in five renewed/lost customers answers the survey.
    def _surveys(self, support):
        rng = self.rng
        outcome = self._case_outcome
        answered_case = np.isin(outcome, ["renewed", "lost"]) & (rng.random(len(outcome)) < 0.2)
        when = self._case_closed + 7 + rng.exponential(2.0, len(outcome))
        answered_case &= when < -1 / 24
        idx = np.flatnonzero(answered_case)
        n = len(idx)
        renewed = outcome[idx] == "renewed"
        # Promoter/passive/detractor shares: renewed customers are happier than lost ones.
        band = np.where(renewed, _pick(rng, [0.52, 0.30, 0.18], n), _pick(rng, [0.12, 0.28, 0.60], n))
        score = np.where(
            band == 0, rng.integers(9, 11, n), np.where(band == 1, rng.integers(7, 9, n), rng.integers(0, 7, n))
        )
        kinds = np.array(["promoter", "passive", "detractor"])[band]
        has_comment = rng.random(n) < 0.35
        comment = np.array(
            [
                NPS_COMMENTS[k][j % len(NPS_COMMENTS[k])] if c else ""
                for k, j, c in zip(kinds, rng.integers(0, 99, n), has_comment, strict=True)
            ],
            dtype=object,
        )
        channel = np.array(["link", "phone", "sms"], dtype=object)[_pick(rng, [0.7, 0.2, 0.1], n)]
        recorded_by = np.where(channel == "phone", np.array(support)[rng.integers(0, len(support), n)], 0)
        self.surveys = pd.DataFrame(
            {
                "id": self.ids[SurveyResponse] + 1 + np.arange(n),
                "customer_id": self._case_customer[idx],
                "case_id": self.cases["id"].to_numpy()[idx],
                "score": score,
                "comment": comment,
                "channel": channel,
                "responded_at": self.ts(when[idx]),
                "recorded_by_id": _nullable(recorded_by),
            }
        )


def _nullable(values: np.ndarray):
    """Integer ids with 0 meaning NULL."""
    out = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    out[np.asarray(values) == 0] = pd.NA
    return out


def _max_id(model) -> int:
    return model.objects.aggregate(m=models.Max("id"))["m"] or 0


# ---------------------------------------------------------------------------------------------
# Loading


class _Loader:
    """COPY on PostgreSQL, executemany batches on SQLite; fills unset columns with field defaults."""

    COPY_CHUNK = 200_000  # rows per COPY: a few tens of MB of CSV in memory
    SQLITE_BATCH = 5_000

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def load(self, model, frame: pd.DataFrame) -> None:
        if frame is None or not len(frame):
            return
        frame = self._complete(model, frame)
        table = connection.ops.quote_name(model._meta.db_table)
        columns = list(frame.columns)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                for start in range(0, len(frame), self.COPY_CHUNK):
                    buffer = io.StringIO(_copy_text(frame.iloc[start : start + self.COPY_CHUNK]))
                    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buffer)
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
                rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]
                for start in range(0, len(rows), self.SQLITE_BATCH):
                    cursor.executemany(sql, rows[start : start + self.SQLITE_BATCH])

    def update(self, model, key: str, frame: pd.DataFrame) -> None:
        """Set the frame's columns on the rows whose ``key`` column matches (set-based on PostgreSQL)."""
        if not len(frame):
            return
        table = connection.ops.quote_name(model._meta.db_table)
        cols = [c for c in frame.columns if c != key]
        with connection.cursor() as cursor:
            if self.postgres:
                # COPY the new values into a temporary table of the same column types, then one UPDATE … FROM.
                names = ", ".join(f'"{c}"' for c in [key, *cols])
                cursor.execute(f"CREATE TEMPORARY TABLE demo_update AS SELECT {names} FROM {table} LIMIT 0")
                cursor.copy_expert(
                    f"COPY demo_update ({names}) FROM STDIN", io.StringIO(_copy_text(frame[[key, *cols]]))
                )
                sets = ", ".join(f'"{c}" = v."{c}"' for c in cols)
                cursor.execute(f'UPDATE {table} AS t SET {sets} FROM demo_update AS v WHERE t."{key}" = v."{key}"')
                cursor.execute("DROP TABLE demo_update")
            else:
                sets = ", ".join(f'"{c}" = %s' for c in cols)
                rows = [tuple(_plain(v) for v in row) for row in frame[[*cols, key]].itertuples(index=False, name=None)]
                cursor.executemany(f'UPDATE {table} SET {sets} WHERE "{key}" = %s', rows)

    @contextmanager
    def bulk_load_mode(self, model_list):
        """PostgreSQL: for the bulk load, drop these tables' unique constraints, foreign keys and plain
        indexes, then build each index in one sort and add the constraints back, which validates
        them once each instead of an index insert and a trigger call per row."""
        if not self.postgres:
            yield
            return
        tables = [m._meta.db_table for m in model_list]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                # Unique constraints first (they come back before the keys), skipping any a key points at.
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint c "
                "WHERE conrelid::regclass::text = ANY(%s) AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))) "
                "ORDER BY contype DESC, 1, 2",
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def reset_sequences(self, model_list) -> None:
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), model_list):
                cursor.execute(sql)

    def _complete(self, model, frame: pd.DataFrame) -> pd.DataFrame:
        """Add every concrete column the frame lacks, from the field's default (others may add fields)."""
        now = timezone.now()
        missing = {}
        for f in model._meta.concrete_fields:
            if f.column in frame.columns:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise RuntimeError(f"demo seed: {model.__name__}.{f.name} has no value and no default")
            missing[f.column] = _db_text(value)
        if missing:
            frame = frame.assign(**missing)
        return frame


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_column(values) -> list[str]:
    """One column as COPY text fields: NULL is \\N, booleans t/f, backslash and tabs escaped."""
    if isinstance(values, pd.arrays.BooleanArray) or values.dtype == bool:
        return ["\\N" if v is pd.NA else ("t" if v else "f") for v in values]
    if isinstance(values, pd.arrays.IntegerArray):
        mask = values.isna()
        out = values.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
        out[mask] = "\\N"
        return out.tolist()
    if values.dtype.kind in "iuf":
        return values.astype(str).tolist()
    out = []
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out.append("\\N")
        else:
            v = str(v)
            out.append(v.translate(_ESCAPES) if ("\\" in v or "\t" in v or "\n" in v or "\r" in v) else v)
    return out


def _copy_text(frame: pd.DataFrame) -> str:
    """The frame as PostgreSQL COPY text format (much faster to build than pandas' CSV writer)."""
    columns = [
        _copy_column(frame[c].array if frame[c].dtype.name in ("Int64", "boolean") else frame[c].to_numpy())
        for c in frame.columns
    ]
    return "".join(["\t".join(row) + "\n" for row in zip(*columns, strict=True)])


def _field_name(model, column: str) -> str:
    for f in model._meta.concrete_fields:
        if f.column == column:
            return f.name
    return column


def _db_text(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + (
            "+00" if connection.vendor == "postgresql" else ""
        )
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _plain(value):
    """A Python value the DB driver accepts (pandas/numpy scalars and NA become plain types)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# ---------------------------------------------------------------------------------------------
# Open cases: the real window scan, then some progress so the queue looks worked.


def _open_due_cases(book: _Book, loader: _Loader) -> int:
    """Open cases for policies inside their window: ``renewals.services.cases_open_due`` when it
    exists, then (or otherwise) any in-window active policy still without a case."""
    opened = 0
    try:
        from renewals.services import cases_open_due
    except ImportError:
        cases_open_due = None
    if cases_open_due is not None:
        opened = cases_open_due(on_date=book.today)
    end = book._policy_end
    window = book.window[book._policy_line]
    due_now = (book._policy_status == "active") & (end >= 0) & (end <= window)
    ids = book.policies["id"].to_numpy()[due_now]
    if not len(ids):
        return opened
    have = set(RenewalCase.objects.filter(due_date__gte=book.today).values_list("policy_id", flat=True))
    todo = np.array([i not in have for i in ids.tolist()], dtype=bool)
    if not todo.any():
        return opened
    rows = np.flatnonzero(due_now)[todo]
    nc = len(rows)
    first = _max_id(RenewalCase) + 1
    frame = pd.DataFrame(
        {
            "id": first + np.arange(nc),
            "policy_id": book.policies["id"].to_numpy()[rows],
            "customer_id": book.policies["customer_id"].to_numpy()[rows],
            "line_id": book.line_ids[book._policy_line[rows]],
            "expiring_premium": book.policies["premium"].to_numpy()[rows],
            "due_date": book.policies["end_date"].to_numpy()[rows],
            "stage": "open",
            "opened_at": book.ts(np.zeros(nc) + 1 / 24),
            "priority": "0.00",
            "churn_reasons": "[]",
            "version": 1,
            "updated_at": book.ts(np.zeros(nc) + 1 / 24),
        }
    )
    with transaction.atomic():
        loader.load(RenewalCase, frame)
        loader.reset_sequences([RenewalCase])
    return opened + nc


def _progress_open_cases(book: _Book, loader: _Loader, specialists: list[int]) -> int:
    """Backdate window-opened cases to when their window opened, assign the unassigned, and move
    some to contacted/quoted (with a real price breakdown) as a working team would have."""
    rng = np.random.Generator(np.random.PCG64(book.rng.integers(0, 2**32)))
    rows = list(
        RenewalCase.objects.filter(stage="open", due_date__gte=book.today)
        .order_by("id")
        .values_list("id", "policy_id", "due_date", "line_id", "assignee_id", "expiring_premium")
    )
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=["id", "policy_id", "due_date", "line_id", "assignee_id", "premium"])
    n = len(frame)
    due = (pd.to_datetime(frame["due_date"]).to_numpy().astype("datetime64[D]") - book.today64).astype(np.int64)
    line_index = {lid: i for i, lid in enumerate(book.line_ids.tolist())}
    li = frame["line_id"].map(line_index).to_numpy()
    opened = np.minimum(due - book.window[li], 0) + 1 / 24
    days_open = -opened
    # The demo team's split of the queue (replaces whatever the scan assigned, so a seed is repeatable).
    assignee = np.array(specialists)[rng.integers(0, len(specialists), n)]
    contacted = (rng.random(n) < np.clip(days_open / 35, 0, 0.85)) & (days_open >= 1)
    quoted = contacted & (rng.random(n) < 0.45)
    workday = 9 / 24 + rng.uniform(0, 9 / 24, n)
    first_contact = np.where(
        contacted,
        np.minimum(np.floor(opened + rng.uniform(0.5, np.maximum(days_open, 1.0))) + workday, -1 / 24),
        np.nan,
    )
    quoted_at = np.where(
        quoted,
        np.minimum(
            np.floor(first_contact + rng.uniform(0, np.maximum(-np.nan_to_num(first_contact), 0.1))) + workday,
            -0.5 / 24,
        ),
        np.nan,
    )
    quoted_at = np.where(quoted, np.maximum(quoted_at, first_contact + 0.5 / 24), np.nan)
    stage = np.where(quoted, "quoted", np.where(contacted, "contacted", "open")).astype(object)
    next_action = np.where(contacted, rng.integers(-2, 8, n), rng.integers(0, 3, n))
    next_action = np.minimum(next_action, due)

    # Quotes for the quoted cases, priced by renewals.pricing when it is there.
    policy_pos = pd.Series(np.arange(len(book.policies)), index=book.policies["id"].to_numpy())
    pos = policy_pos.reindex(frame["policy_id"].to_numpy()).to_numpy()
    quote_ids = np.zeros(n, dtype=np.int64)
    quote_frame = _quotes(book, frame, pos, li, quoted, quoted_at, assignee, rng)
    if quote_frame is not None:
        quote_ids[np.flatnonzero(quoted)] = quote_frame["id"].to_numpy()
    update = pd.DataFrame(
        {
            "id": frame["id"].to_numpy(),
            "opened_at": book.ts(opened),
            "assignee_id": assignee,
            "stage": stage,
            "first_contact_at": book.ts(first_contact),
            "quoted_at": book.ts(quoted_at),
            "next_action_date": book.day(next_action),
            "current_quote_id": _nullable(quote_ids),
            "version": 2 + contacted.astype(int) + quoted.astype(int),
            "updated_at": book.ts(np.fmax(np.fmax(quoted_at, first_contact), opened)),
        }
    )
    events = []
    with transaction.atomic():
        if quote_frame is not None:
            loader.load(Quote, quote_frame)
            loader.reset_sequences([Quote])
        loader.update(RenewalCase, "id", update)
        first_event = _max_id(CaseEvent) + 1
        # The scan's "opened" events carry today's time and its assignee: restate them as of the
        # backdated opening, with the demo assignee, so the timeline reads in order.
        CaseEvent.objects.filter(case_id__in=frame["id"].tolist(), kind="opened").delete()
        names = {
            user.pk: (f"{user.first_name} {user.last_name}".strip() or user.username)
            for user in User.objects.filter(pk__in=set(specialists))
        }
        opened_payload = [json.dumps({"assignee_id": int(a), "assignee": names.get(int(a), "")}) for a in assignee]
        quote_payload = (
            [
                json.dumps(
                    {
                        "quote_id": int(q.id),
                        "premium": q.premium,
                        "discount_percent": q.discount_percent,
                        "approval_status": q.approval_status,
                    }
                )
                for q in quote_frame.itertuples()
            ]
            if quote_frame is not None
            else "{}"
        )
        everyone = np.ones(n, dtype=bool)
        for mask, kind, at, payload in (
            (everyone, "opened", opened, opened_payload),
            (contacted, "contact", first_contact, json.dumps({"channel": "phone", "reached": True})),
            (quoted, "quote", quoted_at, quote_payload),
        ):
            idx = np.flatnonzero(mask)
            events.append(
                pd.DataFrame(
                    {
                        "case_id": frame["id"].to_numpy()[idx],
                        "kind": kind,
                        "actor_id": _nullable(np.zeros(len(idx)) if kind == "opened" else assignee[idx]),
                        "payload": payload,
                        "created_at": book.ts(at[idx]),
                    }
                )
            )
        ev = pd.concat(events, ignore_index=True)
        ev.insert(0, "id", first_event + np.arange(len(ev)))
        loader.load(CaseEvent, ev)
        loader.reset_sequences([CaseEvent])
    return int(contacted.sum())


def _quotes(book, frame, pos, li, quoted, quoted_at, assignee, rng):
    idx = np.flatnonzero(quoted)
    if not len(idx):
        return None
    try:
        from renewals.pricing import price_renewal
    except ImportError:
        price_renewal = None
    base_change = {0: Decimal("3.0"), 1: Decimal("5.0"), 2: Decimal("2.0")}
    discounts = np.where(
        rng.random(len(idx)) < 0.04,
        rng.integers(12, 18, len(idx)),
        np.where(rng.random(len(idx)) < 0.3, rng.integers(1, 6, len(idx)), 0),
    )
    rows = []
    for j, i in enumerate(idx.tolist()):
        p = int(pos[i])
        claims = int(book._policy_claims[p])
        claims_factor = Decimal("1") + Decimal("0.10") * min(claims, 3)
        loyalty = Decimal("0.97") if book._policy_has_previous[p] else Decimal("1.00")
        expiring = Decimal(frame["premium"].iloc[i])
        discount = Decimal(int(discounts[j]))
        if price_renewal is not None:
            priced = price_renewal(
                expiring_premium=expiring,
                base_rate_change_percent=base_change[int(li[i])],
                claims_factor=claims_factor,
                loyalty_factor=loyalty,
                discount_percent=discount,
                claims_count=claims,
            )
            premium, breakdown = priced.premium, json.dumps(priced.as_json())
        else:
            factor = (1 + base_change[int(li[i])] / 100) * claims_factor * loyalty * (1 - discount / 100)
            premium, breakdown = (expiring * factor).quantize(Decimal("0.01")), "[]"
        pending = discount > 10
        rows.append(
            (
                int(frame["id"].iloc[i]),
                str(expiring),
                str((1 + base_change[int(li[i])] / 100).quantize(Decimal("0.0001"))),
                str(claims_factor.quantize(Decimal("0.0001"))),
                str(loyalty.quantize(Decimal("0.0001"))),
                f"{discount:.2f}",
                str(premium),
                breakdown,
                "pending" if pending else "not_required",
                int(assignee[i]),
            )
        )
    quotes = pd.DataFrame(
        rows,
        columns=[
            "case_id", "expiring_premium", "base_rate_factor", "claims_factor", "loyalty_factor",
            "discount_percent", "premium", "breakdown", "approval_status", "created_by_id",
        ],
    )  # fmt: skip
    quotes.insert(0, "id", _max_id(Quote) + 1 + np.arange(len(quotes)))
    quotes["created_at"] = book.ts(quoted_at[idx])
    quotes["approval_comment"] = ""
    return quotes
