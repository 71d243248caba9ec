"""A bureau admin's scoped school list through the API, over 2,000 schools in 20 districts."""

from __future__ import annotations

import statistics
import time

from _setup import setup

setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from afterschool.accounts.models import RoleMembership, User  # noqa: E402
from afterschool.tenancy.models import Region, School  # noqa: E402


def build() -> User:
    province = Region.objects.create(code="110000", name="北京市", level="province")
    city = Region.objects.create(code="110100", name="市辖区", level="city", parent=province)
    districts = [Region.objects.create(code=f"1101{i + 1:02d}", name=f"区{i}", level="district", parent=city)
                 for i in range(20)]  # fmt: skip
    School.objects.bulk_create(
        School(code=f"2111{n:06d}", name=f"学校{n}", region=districts[n % 20], school_type="primary")
        for n in range(2000)
    )
    user = User.objects.create(username="bureau")
    RoleMembership.objects.create(user=user, role="bureau_admin", region=districts[0])
    return user


if __name__ == "__main__":
    user = build()
    client = Client()
    client.force_login(user, backend="afterschool.accounts.backends.UsernameOrMobileBackend")
    timings = []
    for page in range(1, 61):
        start = time.perf_counter()
        response = client.get(f"/api/v1/tenancy/schools?page={page % 5 + 1}&page_size=20&q=学校")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and response.json()["count"] == 100
    timings.sort()
    print(f"database: {connection.vendor}")
    print(f"scoped school list (100 of 2,000 visible): median {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms over {len(timings)} requests")  # fmt: skip
