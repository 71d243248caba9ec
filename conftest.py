"""Fixtures shared by every test: a realistic two-district world and logged-in clients for each role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from afterschool.accounts.choices import Role
from afterschool.accounts.models import RoleMembership, User
from afterschool.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from afterschool.tenancy.actor import Actor
from afterschool.tenancy.models import Organization, Region, School
from afterschool.tenancy.tests.factories import (
    CityFactory,
    DistrictFactory,
    OrganizationFactory,
    PartnershipFactory,
    SchoolFactory,
)


@dataclass
class World:
    """Two districts (A: 海淀, B: 朝阳), each with a school and an organization, and one user per role."""

    district_a: Region
    district_b: Region
    school_a: School
    school_a2: School
    school_b: School
    org_a: Organization
    org_b: Organization
    users: dict[str, User]

    def membership(self, key: str) -> RoleMembership:
        return RoleMembership.objects.get(user=self.users[key])

    def actor(self, key: str) -> Actor:
        m = self.membership(key)
        return Actor(user=m.user, membership=m, client_ip="127.0.0.1", permissions=frozenset(m.permissions))


def _user(username: str, role: str, **scope: Any) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, role=role, **scope)
    return user


@pytest.fixture
def world(db: Any) -> World:
    city = CityFactory()
    district_a = DistrictFactory(code="110108", name="海淀区", parent=city)
    district_b = DistrictFactory(code="110105", name="朝阳区", parent=city)
    school_a = SchoolFactory(code="2111080001", name="海淀实验小学", region=district_a)
    school_a2 = SchoolFactory(code="2111080002", name="海淀二小", region=district_a)
    school_b = SchoolFactory(code="2111050001", name="朝阳实验小学", region=district_b)
    org_a = OrganizationFactory(name="海淀活动中心", region=district_a)
    org_b = OrganizationFactory(name="朝阳科技公司", region=district_b)
    PartnershipFactory(school=school_a, organization=org_a)
    PartnershipFactory(school=school_b, organization=org_b)
    users = {
        "system": _user("sys", Role.SYSTEM_ADMIN),
        "bureau_a": _user("bureau_a", Role.BUREAU_ADMIN, region=district_a),
        "bureau_b": _user("bureau_b", Role.BUREAU_ADMIN, region=district_b),
        "school_a": _user("school_a", Role.SCHOOL_ADMIN, school=school_a),
        "school_a2": _user("school_a2", Role.SCHOOL_ADMIN, school=school_a2),
        "school_b": _user("school_b", Role.SCHOOL_ADMIN, school=school_b),
        "teacher_a": _user("teacher_a", Role.TEACHER, school=school_a),
        "org_a": _user("org_a", Role.ORG_ADMIN, organization=org_a),
        "org_b": _user("org_b", Role.ORG_ADMIN, organization=org_b),
        "orgteacher_a": _user("orgteacher_a", Role.ORG_TEACHER, organization=org_a),
        "parent": _user("parent1", Role.PARENT),
        "student": _user("student1", Role.STUDENT, school=school_a),
    }
    return World(district_a, district_b, school_a, school_a2, school_b, org_a, org_b, users)


@pytest.fixture
def login() -> Any:
    """login(user) -> a Client with a real session (force_login skips the password form)."""

    def _login(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="afterschool.accounts.backends.UsernameOrMobileBackend")
        return client

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Cached region subtrees must not leak between tests whose rolled-back rows reuse ids."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
