"""Pagination of every list: ``?limit=&cursor=``, the next page's link in the body.

The cursor is opaque to clients (base64url of a position: an offset for lists computed per
request, a sequence number for the append-only audit log, so new entries never shift a page).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from api.http.problems import ApiProblem
from api.http.state import StateDep

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """Một trang của danh sách."""

    items: list[T]
    limit: int = Field(description="Số mục tối đa của trang.")
    next_cursor: str | None = Field(description="Con trỏ của trang sau (null: trang cuối).")
    next: str | None = Field(description="Đường dẫn đầy đủ của trang sau (null: trang cuối).")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    position: int  # offset, or the last sequence number already seen
    request: Request

    def page(self, items: Sequence[T], next_position: int | None) -> Page[T]:
        if next_position is None:
            return Page[T](items=list(items), limit=self.limit, next_cursor=None, next=None)
        cursor = encode_cursor(next_position)
        url = str(self.request.url.include_query_params(cursor=cursor, limit=self.limit))
        return Page[T](items=list(items), limit=self.limit, next_cursor=cursor, next=url)

    def slice(self, items: Sequence[T]) -> Page[T]:
        """Page over a list computed for this request (position = offset)."""
        end = self.position + self.limit
        return self.page(items[self.position : end], end if end < len(items) else None)


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith("p"):
            raise ValueError(text)
        position = int(text[1:])
        if position < 0:
            raise ValueError(text)
        return position
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiProblem(
            400,
            "request.bad_cursor",
            "Con trỏ trang (cursor) không hợp lệ.",
            hint="Dùng nguyên giá trị «next_cursor» (hoặc đường dẫn «next») của trang trước.",
        ) from None


def page_request(
    request: Request,
    state: StateDep,
    limit: Annotated[
        int | None, Query(ge=1, description="Số mục mỗi trang (mặc định 50, tối đa 500).")
    ] = None,
    cursor: Annotated[
        str | None, Query(description="Con trỏ trang sau, lấy từ «next_cursor».")
    ] = None,
) -> PageRequest:
    size = min(limit or state.settings.default_page, state.settings.max_page)
    return PageRequest(size, decode_cursor(cursor) if cursor else 0, request)


PageDep = Annotated[PageRequest, Depends(page_request)]
