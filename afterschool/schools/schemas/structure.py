from __future__ import annotations

from ninja import Field, Schema

from afterschool.core.api import PatchSchema, Text


class GradeOut(Schema):
    id: int
    school_id: int
    name: str
    level: int


class GradeFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="年级名称")
    school: int | None = Field(None, ge=1, le=2**62)


class GradeIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    name: Text = Field(..., min_length=1, max_length=32)
    level: int = Field(..., ge=1, le=12)


class GradePatch(PatchSchema):
    name: Text | None = Field(None, min_length=1, max_length=32)
    level: int | None = Field(None, ge=1, le=12)


class SchoolClassOut(Schema):
    id: int
    school_id: int
    grade_id: int
    grade_name: str
    name: str
    head_teacher_id: int | None
    head_teacher_name: str | None

    @staticmethod
    def resolve_grade_name(obj: object) -> str:
        return str(obj.grade.name)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_head_teacher_name(obj: object) -> str | None:
        teacher = obj.head_teacher  # type: ignore[attr-defined]
        return teacher.name if teacher is not None else None


class SchoolClassFilters(Schema):
    q: Text | None = Field(None, max_length=64, description="班级、年级或班主任姓名")
    grade: int | None = Field(None, ge=1, le=2**62)
    school: int | None = Field(None, ge=1, le=2**62)


class SchoolClassIn(Schema):
    school_id: int | None = Field(None, ge=1, le=2**62, description="仅系统管理员需要；学校管理员总是本校")
    grade_id: int = Field(..., ge=1, le=2**62)
    name: Text = Field(..., min_length=1, max_length=32)
    head_teacher_id: int | None = Field(None, ge=1, le=2**62)


class SchoolClassPatch(PatchSchema):
    nullable = frozenset({"head_teacher_id"})

    grade_id: int | None = Field(None, ge=1, le=2**62)
    name: Text | None = Field(None, min_length=1, max_length=32)
    head_teacher_id: int | None = Field(None, ge=1, le=2**62)
