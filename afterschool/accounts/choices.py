from django.db import models


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    BUREAU_ADMIN = "bureau_admin", "教育局管理者"
    SCHOOL_ADMIN = "school_admin", "学校管理员"
    TEACHER = "teacher", "教师"
    ORG_ADMIN = "org_admin", "机构管理员"
    ORG_TEACHER = "org_teacher", "机构教师"
    ORG_STAFF = "org_staff", "机构工作人员"
    PARENT = "parent", "家长"
    STUDENT = "student", "学生"


class ScopeKind(models.TextChoices):
    PLATFORM = "platform", "全平台"
    REGION = "region", "区域"
    SCHOOL = "school", "学校"
    ORGANIZATION = "organization", "机构"
    SELF = "self", "本人"


SCOPE_KIND_OF_ROLE: dict[str | None, str] = {
    Role.SYSTEM_ADMIN: ScopeKind.PLATFORM,
    Role.BUREAU_ADMIN: ScopeKind.REGION,
    Role.SCHOOL_ADMIN: ScopeKind.SCHOOL,
    Role.TEACHER: ScopeKind.SCHOOL,
    Role.ORG_ADMIN: ScopeKind.ORGANIZATION,
    Role.ORG_TEACHER: ScopeKind.ORGANIZATION,
    Role.ORG_STAFF: ScopeKind.ORGANIZATION,
    Role.PARENT: ScopeKind.SELF,
    Role.STUDENT: ScopeKind.SELF,
}

# The order in which a person's roles are offered and the default one chosen at login.
ROLE_PRIORITY = [r.value for r in Role]


class Permission(models.TextChoices):
    """Extra grants on top of a role (e.g. a teacher who may patrol)."""

    PATROL = "patrol", "巡课"
    VIEW_PERSONAL_DATA = "view_personal_data", "查看完整个人信息"


class OrgPermission(models.TextChoices):
    """What an organization's own roles (机构角色, §5.5.3) may grant. An org admin holds all of them."""

    COURSE_VIEW = "org.course_view", "查看课程"
    COURSE_EDIT = "org.course_edit", "编辑课程（章节、资源、辅助材料）"
    COURSE_SUBMIT = "org.course_submit", "提交课程审核"
    TEACHER_VIEW = "org.teacher_view", "查看教师"
    TEACHER_EDIT = "org.teacher_edit", "维护教师资料与证书"
    DISPATCH_MANAGE = "org.dispatch_manage", "外派管理"
    PARTNERSHIP_VIEW = "org.partnership_view", "查看合作学校"
    ACCOUNT_MANAGE = "org.account_manage", "账号与角色管理"


# Who may change something may also see it: these permissions include the ones named.
ORG_PERMISSION_IMPLIES: dict[str, frozenset[str]] = {
    OrgPermission.COURSE_EDIT: frozenset({OrgPermission.COURSE_VIEW}),
    OrgPermission.COURSE_SUBMIT: frozenset({OrgPermission.COURSE_VIEW}),
    OrgPermission.TEACHER_EDIT: frozenset({OrgPermission.TEACHER_VIEW}),
}

ORG_ROLES = ("org_admin", "org_teacher", "org_staff")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"
    DENIED = "denied", "拒绝"


class AuditEventType(models.TextChoices):
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    LOCKOUT = "lockout", "账号锁定"
    PERMISSION_DENIED = "permission_denied", "越权访问"
    ROLE_SWITCH = "role_switch", "切换角色"
    PASSWORD_CHANGE = "password_change", "修改密码"
    PASSWORD_RESET = "password_reset", "重置密码"
    USER_CREATE = "user_create", "创建账号"
    USER_UPDATE = "user_update", "修改账号"
    USER_UNLOCK = "user_unlock", "解除锁定"
    MEMBERSHIP_GRANT = "membership_grant", "授予角色"
    MEMBERSHIP_REVOKE = "membership_revoke", "撤销角色"
    TOKEN_ISSUE = "token_issue", "签发令牌"
    TOKEN_REVOKE = "token_revoke", "吊销令牌"
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    EXPORT = "export", "导出"
    VIEW_SENSITIVE = "view_sensitive", "查看敏感信息"
    ACCESS = "access", "系统管理员访问"
