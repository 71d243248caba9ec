from __future__ import annotations

import factory

from afterschool.tenancy.models import Organization, Partnership, Region, School
from afterschool.tenancy.validators import credit_code_check_char


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "110000"
    name = "北京市"
    level = "province"
    parent = None


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "110100"
    name = "北京市市辖区"
    level = "city"
    parent = factory.SubFactory(ProvinceFactory)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"1101{(n % 90) + 10:02d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = "district"
    parent = factory.SubFactory(CityFactory)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"2111{n + 100000:06d}")
    name = factory.Sequence(lambda n: f"测试小学{n}")
    region = factory.SubFactory(DistrictFactory)
    school_type = "primary"
    nature = "public"
    address = "测试路 1 号"


def make_credit_code(n: int) -> str:
    first17 = f"91110108MA{n:07d}"
    return first17 + credit_code_check_char(first17)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    credit_code = factory.Sequence(make_credit_code)
    name = factory.Sequence(lambda n: f"测试机构{n}")
    kind = "company"
    region = factory.SubFactory(DistrictFactory)
    status = "active"


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    school = factory.SubFactory(SchoolFactory)
    organization = factory.SubFactory(OrganizationFactory)
    starts_on = factory.Faker("date_this_year")
