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
