"""Response and request models shared by several routers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GrantOut(BaseModel):
    role: str = Field(description="Vai trò, ví dụ homeroom_teacher.")
    role_label: str = Field(description="Tên vai trò tiếng Việt.")
    scope: str = Field(description="Phạm vi, bằng lời.")
    province: str
    district: str | None
    school: str | None
    year: str | None
    classes: list[str]
    subject: str | None
    student: str | None
    person_id: str | None = Field(description="Mã giáo viên tại trường (đối chiếu ô ký).")
