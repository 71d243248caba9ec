"""The platform's NinjaAPI at /api/v1/. Each domain app contributes one router from its api.py."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from afterschool.accounts.api import router as accounts_router
from afterschool.attendance.api import router as attendance_router
from afterschool.core.api import ApiRenderer, BearerTokenAuth, SessionActorAuth, install_error_handlers
from afterschool.courses.api import router as courses_router
from afterschool.enrollment.api import router as enrollment_router
from afterschool.feedback.api import router as feedback_router
from afterschool.notifications.api import router as notifications_router
from afterschool.patrol.api import router as patrol_router
from afterschool.payments.api import router as payments_router
from afterschool.scheduling.api import router as scheduling_router
from afterschool.schools.api import router as schools_router
from afterschool.tenancy.api import router as tenancy_router

api = NinjaAPI(
    title="课后服务平台 API",
    version="1.0.0",
    description="T/CAET 003.1-2023 课后服务平台开放接口。错误统一为 {code, message, detail}；列表统一分页。",
    urls_namespace="api-v1",
    auth=[BearerTokenAuth(), SessionActorAuth()],
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    renderer=ApiRenderer(),
)
install_error_handlers(api)
api.add_router("/accounts", accounts_router)
api.add_router("/tenancy", tenancy_router)
api.add_router("/schools", schools_router)
api.add_router("/courses", courses_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/enrollment", enrollment_router)
api.add_router("/payments", payments_router)
api.add_router("/attendance", attendance_router)
api.add_router("/patrol", patrol_router)
api.add_router("/feedback", feedback_router)
api.add_router("/notifications", notifications_router)
