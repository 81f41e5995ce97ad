import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.selectors import customer_search
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def names(results):
    return [customer.name for customer in results]


def test_partial_name_matches_case_insensitively():
    CustomerFactory(name="Wang Xiaoming")
    CustomerFactory(name="Li Na")
    assert names(customer_search(q="XIAOM")) == ["Wang Xiaoming"]


def test_chinese_names_match_in_full_partially_and_by_two_character_prefix():
    CustomerFactory(name="王小明")
    CustomerFactory(name="王小红")
    CustomerFactory(name="李娜")
    assert names(customer_search(q="王小明")) == ["王小明"]
    assert sorted(names(customer_search(q="王小"))) == ["王小明", "王小红"]
    assert names(customer_search(q="李娜")) == ["李娜"]


def test_one_and_two_character_names_match_anywhere_in_the_name():
    # given customers whose given names sit at the end, in the middle or at the start
    CustomerFactory(name="王小明")
    CustomerFactory(name="小明科技有限公司")
    CustomerFactory(name="李娜")
    CustomerFactory(name="Li Na")
    # when support types only the given name (two characters) or one character
    # then it is found wherever it stands in the name, case-insensitively for Latin letters
    assert sorted(names(customer_search(q="小明"))) == ["小明科技有限公司", "王小明"]
    assert sorted(names(customer_search(q="明"))) == ["小明科技有限公司", "王小明"]
    assert names(customer_search(q="娜")) == ["李娜"]
    assert names(customer_search(q="na")) == ["Li Na"]
    assert names(customer_search(q="明王")) == []


def test_last_four_phone_digits_find_the_customer_whatever_the_format():
    CustomerFactory(name="Zhao", phone="138-0013-8000", phone_digits="13800138000")
    CustomerFactory(name="Qian", phone="13980001234", phone_digits="13980001234")  # 8000 in the middle
    assert names(customer_search(q="8000")) == ["Zhao"]
    assert names(customer_search(q="138 0013 8000")) == ["Zhao"]
    assert names(customer_search(q="(139) 8000")) == ["Qian"]


def test_policy_number_and_external_reference_find_the_customer():
    policy = PolicyFactory(number="AUTO-2026-000123", customer__name="Sun Li")
    CustomerFactory(name="Zhou", external_ref="CORE-778899")
    assert names(customer_search(q="AUTO-2026-000123")) == ["Sun Li"]
    assert names(customer_search(q="auto-2026-000123")) == ["Sun Li"]
    assert names(customer_search(q="CORE-778899")) == ["Zhou"]
    assert names(customer_search(q="778899")) == []  # digits only: treated as a phone, no match
    assert names(customer_search(q="core-7788")) == ["Zhou"]
    assert policy.customer.pk == customer_search(q=policy.number)[0].pk


def test_results_are_limited_and_blank_queries_return_nothing(django_assert_max_num_queries):
    Customer.objects.bulk_create(
        Customer(external_ref=f"R{n}", name=f"Chen Jing {n}", region="Beijing") for n in range(25)
    )
    with django_assert_max_num_queries(5):
        results = customer_search(q="chen jing")
    assert len(results) == 10
    assert customer_search(q="   ") == []


def _plans_of_search(q: str) -> list[str]:
    """EXPLAIN every query the search ran that looks at the customer table with LIKE or ``@>``."""
    with CaptureQueriesContext(connection) as captured:
        customer_search(q=q)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if " LIKE " in query["sql"] or " @> " in query["sql"]:
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.parametrize(
    ("q", "index"),
    [
        ("xiaoming", "customer_name_trgm_idx"),
        ("王小明", "customer_name_trgm_idx"),
        ("王小", "customer_name_grams_idx"),
        ("小明", "customer_name_grams_idx"),
        ("明", "customer_name_grams_idx"),
        ("li", "customer_name_grams_idx"),
        ("8000", "customer_phone_trgm_idx"),
        ("0013 8000", "customer_phone_trgm_idx"),
    ],
)
def test_search_uses_the_trigram_and_prefix_indexes_on_postgresql(q, index):
    # (one and two characters: the GIN index on the name's pieces, customer_name_grams_idx)
    # Given a few thousand customers and fresh statistics
    Customer.objects.bulk_create(
        (
            Customer(
                external_ref=f"B{n:07d}",
                name=f"{'王李张刘陈'[n % 5]}{'小大明红'[n % 4]}{n}" if n % 2 else f"Customer {n}",
                phone=f"139{n:08d}",
                phone_digits=f"139{n:08d}",
                region="Guangdong",
            )
            for n in range(6000)
        ),
        batch_size=2000,
    )
    CustomerFactory(name="Wang Xiaoming 王小明", phone_digits="13800138000")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    # When the search runs with sequential scans priced out (the planner's choice at 500,000 rows)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plans = _plans_of_search(q)
    # Then its LIKE query reads the index
    assert plans, "the search ran no LIKE query"
    assert any(index in plan for plan in plans), plans
    assert not any("Seq Scan on customers_customer" in plan for plan in plans), plans
