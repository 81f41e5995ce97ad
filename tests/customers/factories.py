import factory

from customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_ref = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_digits = factory.LazyAttribute(lambda o: "".join(ch for ch in o.phone if ch.isdigit()))
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    region = "Guangdong"
    segment = Customer.Segment.STANDARD


def category(code: str = "service"):
    """A complaint category seeded by migration."""
    from customers.models import ComplaintCategory

    return ComplaintCategory.objects.get(code=code)


def log_complaint(customer=None, **overrides):
    """A complaint logged through the service (so SLA times and the timeline are real)."""
    from customers import services

    customer = customer or CustomerFactory()
    kwargs = {
        "customer_id": customer.pk,
        "received_via": "phone",
        "category_id": category().pk,
        "description": "Premium went up without explanation.",
        "severity": "normal",
    }
    kwargs.update(overrides)
    return services.complaint_log(**kwargs)
