"""One small factory per model."""

import datetime

import factory
from django.utils import timezone

from foia import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@newsroom.example")
    role = models.Role.REPORTER
    password = factory.django.Password("correct horse battery staple")


class LawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Law
        django_get_or_create = ("jurisdiction",)

    jurisdiction = "MI"
    jurisdiction_name = "Michigan"
    law_name = "Michigan Freedom of Information Act"
    citation = "MCL 15.231 et seq."
    response_days = 5
    day_type = models.DayType.BUSINESS
    source = "tests"
    verified_on = datetime.date(2026, 11, 1)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agency

    name = factory.Sequence(lambda n: f"Springfield {n} Police Department")
    state = "MI"
    city = "Springfield"
    kind = models.AgencyKind.POLICE
    email = factory.Sequence(lambda n: f"records{n}@springfield.example")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Campaign

    title = factory.Sequence(lambda n: f"Ring partnerships {n}")
    slug = factory.Sequence(lambda n: f"ring-{n}")
    tracking_prefix = factory.Sequence(lambda n: f"RING{n}")
    records_wanted = "Contracts and MOUs with Ring LLC or Amazon\nScripts and talking points provided by Ring"
    requester_name = "Jane Reporter"
    requester_outlet = "The Daily Example"
    requester_email = "jane@newsroom.example"
    requester_address = "1 Press Row\nSpringfield, MI 49000"


class RecordsRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RecordsRequest

    campaign = factory.SubFactory(CampaignFactory)
    agency = factory.SubFactory(AgencyFactory)
    tracking_number = factory.Sequence(lambda n: f"TEST-{n:04d}")
    reply_token = factory.Sequence(lambda n: f"tok{n:08d}")
    status = models.Status.DRAFT


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Communication

    request = factory.SubFactory(RecordsRequestFactory)
    direction = models.Direction.INCOMING
    channel = models.CommunicationChannel.EMAIL
    subject = "Re: records request"
    body = "We have received your request."
    occurred_at = factory.LazyFunction(timezone.now)
